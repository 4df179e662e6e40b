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
    rooms: dict[int, RoomActivity] = {}
    samples = await db.exec(
        select(Session, ViewerSample.minute, ViewerSample.connected, ViewerSample.online)
        .join(ViewerSample, col(ViewerSample.session_id) == col(Session.id))
        .where(Session.event_id == event.id)
        .order_by(col(ViewerSample.minute))
    )
    for session, minute, connected, online in samples.all():
        rooms.setdefault(session.id or 0, RoomActivity(session)).samples.append((minute, connected, online))
    asked = await db.exec(
        select(Session, Question.created_at)
        .join(Question, col(Question.session_id) == col(Session.id))
        .where(Session.event_id == event.id, Question.event_id == event.id)
        .order_by(col(Question.created_at))
    )
    for session, created_at in asked.all():
        rooms.setdefault(session.id or 0, RoomActivity(session)).questions.append(created_at)
    return sorted(rooms.values(), key=lambda room: (room.session.start, room.session.id or 0))
