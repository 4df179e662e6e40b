"""Revocations: what took something away from an account, recorded in the same transaction as the change,
so every live process can re-check that account's open connections against the database."""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

from sqlalchemy import bindparam, delete, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.accounts.models import Revocation
from server.clock import utcnow
from server.db import begin_write, read_latest

# Long enough for every process to have read a row (they poll twice a second), short enough to keep the table tiny.
KEPT_FOR = dt.timedelta(minutes=10)
MAX_GAP = 1000


class Reason(enum.StrEnum):
    signed_out = "signed_out"  # one session or every session of the account ended
    disabled = "disabled"  # the account was disabled
    removed = "removed"  # an organiser removed the person from an event: roles and registration
    cancelled = "cancelled"  # the person cancelled their registration
    unpicked = "unpicked"  # the person took a session out of their agenda (rooms may be open to its pickers only)
    unpublished = "unpublished"  # the event went back to a draft: only its staff may be in its rooms


@dataclass(frozen=True, slots=True)
class Revoked:
    id: int
    account_id: int
    event_id: int | None
    reason: str


async def record_revocation(
    db: AsyncSession, *, account_id: int, reason: Reason, event_id: int | None = None, now: dt.datetime | None = None
) -> None:
    """Adds the row to the caller's transaction (not committed): it becomes visible with the change itself."""
    db.add(Revocation(account_id=account_id, event_id=event_id, reason=reason, created_at=now or utcnow()))


async def prune_revocations(db: AsyncSession, *, now: dt.datetime | None = None) -> None:
    """Deletes what every process has long read. Live processes do it now and then, apart from the revoking
    transactions, which would otherwise queue behind one another for the same old rows."""
    await begin_write(db)
    await db.exec(delete(Revocation).where(col(Revocation.created_at) < (now or utcnow()) - KEPT_FOR))
    await db.commit()


# Built once: every live process runs it twice a second.
_AFTER = (
    select(Revocation.id, Revocation.account_id, Revocation.event_id, Revocation.reason)
    .where(col(Revocation.id) > bindparam("after"))
    .order_by(col(Revocation.id))
)
_LAST = select(func.max(Revocation.id))


class RevocationFeed:
    """Every revocation committed from now on, once each, in the order this process reads them.

    On PostgreSQL ids come from a sequence when a row is written, not when it commits: id 6 may be seen
    before id 5 commits. A gap stays awaited for ``GAP_WAIT`` seconds (a rolled-back write leaves one for good).
    """

    GAP_WAIT = 10.0

    def __init__(self) -> None:
        self.last: int | None = None  # the highest id read; None until the feed knows where "now" is
        self.missing: dict[int, float] = {}  # id of a gap -> until when it is awaited (monotonic)

    async def poll(self, db: AsyncSession, *, now: float) -> list[Revoked]:
        if self.last is None:
            rows = await read_latest(db, _LAST)
            self.last = int(rows[0][0] or 0) if rows else 0
            return []
        self.missing = {id_: until for id_, until in self.missing.items() if until > now}
        after = min(self.missing) - 1 if self.missing else self.last
        fresh: list[Revoked] = []
        for row in await read_latest(db, _AFTER, {"after": after}):
            id_ = int(row.id)
            if id_ in self.missing:
                del self.missing[id_]
            elif id_ > self.last:
                if id_ - self.last <= MAX_GAP:  # a jump of the sequence (a restore) is no gap worth waiting for
                    self.missing.update(dict.fromkeys(range(self.last + 1, id_), now + self.GAP_WAIT))
                self.last = id_
            else:
                continue  # read before
            fresh.append(Revoked(id=id_, account_id=row.account_id, event_id=row.event_id, reason=row.reason))
        return fresh
