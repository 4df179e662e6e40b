"""Each live room over time: its headcount sampled once a minute, and when its questions were asked."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.accounts.actors import Actor
from server.agenda.models import Session
from server.events.models import Event
from server.live.models import Question, ViewerSample
from server.permissions import require
from server.registration.rules import can_manage_registrations


@dataclass(frozen=True)
class Headcount:
    session_id: int
    connected: int
    online: int


async def record_viewers(db: AsyncSession, *, minute: dt.datetime, headcounts: Iterable[Headcount]) -> None:
    """Stores each room's headcount for ``minute`` (seconds cut off); a minute another process stored first stays."""
    minute = minute.replace(second=0, microsecond=0)
    rows = [
        {"session_id": h.session_id, "minute": minute, "connected": h.connected, "online": h.online} for h in headcounts
    ]
    if not rows:
        return
    dialect = postgresql if db.get_bind().dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(ViewerSample).values(rows).on_conflict_do_nothing(index_elements=["session_id", "minute"])
    )
    await db.exec(statement)
    await db.commit()


@dataclass
class RoomActivity:
    session: Session
    samples: list[tuple[dt.datetime, int, int]] = field(default_factory=list)  # (minute, connected, online)
    questions: list[dt.datetime] = field(default_factory=list)  # when each was asked, UTC


async def live_activity(db: AsyncSession, *, actor: Actor, event: Event) -> list[RoomActivity]:
    """The event's sessions that had anyone in their live room or any question, in programme order."""
    require(actor, can_manage_registrations)
    samples = await db.exec(
        select(ViewerSample.session_id, ViewerSample.minute, ViewerSample.connected, ViewerSample.online)
        .join(Session, col(Session.id) == col(ViewerSample.session_id))
        .where(Session.event_id == event.id)
        .order_by(col(ViewerSample.minute))
    )
    asked = await db.exec(
        select(Question.session_id, Question.created_at)
        .where(Question.event_id == event.id)
        .order_by(col(Question.created_at))
    )
    by_session: dict[int, tuple[list[tuple[dt.datetime, int, int]], list[dt.datetime]]] = {}
    for session_id, minute, connected, online in samples.all():
        by_session.setdefault(session_id, ([], []))[0].append((minute, connected, online))
    for session_id, created_at in asked.all():
        by_session.setdefault(session_id, ([], []))[1].append(created_at)
    sessions = await db.exec(select(Session).where(Session.event_id == event.id, col(Session.id).in_(by_session)))
    rooms = [RoomActivity(session, *by_session[session.id or 0]) for session in sessions.all()]
    return sorted(rooms, key=lambda room: (room.session.start, room.session.id or 0))
