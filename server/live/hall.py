"""The hall's short codes: each session gets one (``#K7QX4``) that the room screen shows with a QR code and a
short address (``/j/K7QX4``). Made once and kept, so a slide or a printed sign can carry it; typed by hand, so
its letters are ones nobody confuses (no 0/O, 1/I/L, 5/S, 2/Z, 8/B, U/V)."""

from __future__ import annotations

import secrets

from sqlalchemy.exc import IntegrityError
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.live.models import HallCode

ALPHABET = "34679ACDEFGHJKMNPQRTWXY"
CODE_LENGTH = 5  # 23**5: over six million codes, for a few hundred sessions an installation
ATTEMPTS = 10


def normalised(typed: str) -> str:
    """The code someone typed, as stored: without a leading ``#``, spaces or dashes, in capitals; empty when
    it cannot be a code at all."""
    code = typed.strip().lstrip("#").replace(" ", "").replace("-", "").upper()
    return code if len(code) == CODE_LENGTH and all(char in ALPHABET for char in code) else ""


def _new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


async def hall_code(db: AsyncSession, *, event_id: int, session_id: int) -> str:
    """The session's code, made the first time it is asked for (two processes asking at once get the same one)."""
    for _attempt in range(ATTEMPTS):
        existing = (await db.exec(select(HallCode.code).where(HallCode.session_id == session_id))).first()
        if existing is not None:
            return existing
        code = _new_code()
        db.add(HallCode(code=code, session_id=session_id, event_id=event_id))
        try:
            await db.commit()
        except IntegrityError:  # the code is another session's, or another process just gave this one its code
            await db.rollback()
            continue
        return code
    raise RuntimeError("no free hall code after several attempts")  # pragma: no cover - 1 in 10**30


async def find_hall_code(db: AsyncSession, *, typed: str) -> HallCode | None:
    """The session a typed code is for, or None."""
    code = normalised(typed)
    return await db.get(HallCode, code) if code else None
