"""A known data set for the organiser dashboard's charts (tests/registration/test_dashboard_charts.py and the
dashboard's browser test)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlmodel import col, update
from sqlmodel.ext.asyncio.session import AsyncSession

from server.accounts.models import Role
from server.agenda.models import Session
from server.db import Database
from server.live.models import Question, ViewerSample
from server.registration.models import Registration
from server.registration.seats import pick_session
from tests.support.factories import delegates, event_by_slug, session_with_capacity, staff

ORGANISER = "organiser@example.org"


def local(zone: str, day: int, hour: int, minute: int = 0) -> dt.datetime:
    """A moment of 2021-10-<day> in the event's zone, as UTC (how the database keeps it)."""
    return dt.datetime(2021, 10, day, hour, minute, tzinfo=ZoneInfo(zone)).astimezone(dt.UTC)


async def set_times(db: AsyncSession, email: str, **times: object) -> None:
    await db.exec(update(Registration).where(col(Registration.email) == email).values(**times))


async def known_data_set(database: Database, demo_event: str) -> Session:
    """Three on site (Indonesia, Indonesia, Japan) and one online (China), made on 25, 25, 27 and 26 October; two
    picks fill a two-seat session and the third waits; arrivals at 9:10, 9:50 and 11:05; a live room with viewers
    at 10:00, 10:01, 10:03 and questions at 10:01 and 10:02."""
    async with database.session() as db:
        event = await event_by_slug(db, demo_event)
        zone = event.timezone
        session = await session_with_capacity(db, event, 2)
        onsite = await delegates(db, event, 3)
        await delegates(db, event, 1, attendance="online", prefix="remote")
        await staff(db, event, Role.organiser, ORGANISER)
        await staff(db, event, Role.moderator, "moderator@example.org")
        made = {"delegate0": 25, "delegate1": 25, "delegate2": 27, "remote0": 26}
        for prefix, day in made.items():
            await set_times(db, f"{prefix}@example.org", created_at=local(zone, day, 12))
        await set_times(db, "delegate2@example.org", country="JP")
        await set_times(db, "remote0@example.org", country="CN")
        arrivals = {"delegate0": (9, 10), "delegate1": (9, 50), "delegate2": (11, 5)}
        for prefix, (hour, minute) in arrivals.items():
            await set_times(db, f"{prefix}@example.org", checked_in_at=local(zone, 28, hour, minute))
        for minute, connected in ((0, 5), (1, 8), (3, 4)):
            db.add(
                ViewerSample(session_id=session.id, minute=local(zone, 28, 10, minute), connected=connected, online=1)
            )
        for n, minute in enumerate((1, 2)):
            db.add(
                Question(
                    event_id=event.id,
                    session_id=session.id,
                    author_key=f"g{n}",
                    origin="online",
                    text=f"Question {n}",
                    client_id=f"c{n}",
                    created_at=local(zone, 28, 10, minute),
                )
            )
        await db.commit()
    for person in onsite:
        async with database.session() as db:
            await pick_session(db, event=event, account=person, session_id=session.id)
    return session
