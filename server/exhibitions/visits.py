"""Visitors: each person (by account) or browser (by a random cookie, kept only as a hash) counts once per day in
the event's time zone, however often they open the page. Two processes counting the same visitor at once meet
the unique constraint, and the second simply finds the visit there."""

from __future__ import annotations

import datetime as dt
import hashlib

from sqlalchemy.exc import IntegrityError
from sqlmodel import func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.db import begin_write
from server.exhibitions.models import ExhibitionVisit


def visitor_key(*, account_id: int | None, browser: str) -> str:
    """Who is visiting: the person when signed in, else the browser's cookie (hashed: the cookie is not stored)."""
    if account_id is not None:
        return f"account:{account_id}"
    return "browser:" + hashlib.sha256(browser.encode()).hexdigest()[:48]


async def count_visit(db: AsyncSession, *, event_id: int, session_id: int, visitor: str, day: dt.date) -> int:
    """Counts ``visitor`` on ``day`` (once) and returns that day's distinct visitors."""
    found = (
        await db.exec(
            select(ExhibitionVisit.id).where(
                ExhibitionVisit.session_id == session_id, ExhibitionVisit.day == day, ExhibitionVisit.visitor == visitor
            )
        )
    ).first()
    if found is None:
        await begin_write(db)  # on SQLite a read-then-write would fail at once behind another writer
        db.add(ExhibitionVisit(event_id=event_id, session_id=session_id, day=day, visitor=visitor))
        try:
            await db.commit()
        except IntegrityError:  # the same visitor counted by another request a moment ago
            await db.rollback()
    return await visitors_on(db, session_id=session_id, day=day)


async def visitors_on(db: AsyncSession, *, session_id: int, day: dt.date) -> int:
    query = select(func.count()).where(ExhibitionVisit.session_id == session_id, ExhibitionVisit.day == day)
    return int((await db.exec(query)).one())
