"""Writes a client may send twice: each carries a client-generated ``client_id``, and a retry (after a
reconnect, a lost answer, a second click) answers with the row the first one made instead of a second row."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from sqlalchemy.exc import IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from server.broadcast import Outcome
from server.live.inputs import check_client_id

Row = TypeVar("Row")


async def create_once(
    db: AsyncSession,
    *,
    client_id: str,
    earlier: SelectOfScalar[Row],
    create: Callable[[], Awaitable[Outcome]],
    answer: Callable[[Row], Awaitable[dict[str, Any]]],
) -> Outcome:
    """``create`` (which commits) unless ``earlier``, the author's row with this ``client_id``, exists; then the
    answer is ``answer`` of that row, marked ``duplicate``. A unique constraint on (author, ``client_id``)
    settles two copies racing each other (PostgreSQL): the first one wins, the other answers with it."""
    check_client_id(client_id)
    row = (await db.exec(earlier)).first()
    if row is None:
        try:
            return await create()
        except IntegrityError:
            await db.rollback()
            row = (await db.exec(earlier)).first()
            if row is None:
                raise
    return Outcome(answer={**await answer(row), "duplicate": True})
