"""Organisers plan which channels run: for a room (every session held there) and, overriding it, for one session.
Only the event's languages may be chosen; a refused language is named in the message."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.accounts.actors import Actor
from server.agenda.models import Room, Session
from server.audit.services import record
from server.db import begin_write
from server.errors import InvalidInput, NotFound
from server.events.models import Event
from server.formats import language_name
from server.i18n import gettext as _
from server.interpretation.channels import in_event_order
from server.interpretation.models import ChannelPlan
from server.interpretation.rules import can_plan_channels
from server.permissions import require


def offered(event: Event, languages: Sequence[str]) -> list[str]:
    """``languages`` in the event's order; InvalidInput naming the first one the event does not offer."""
    for language in languages:
        if language not in event.language_list:
            raise InvalidInput(
                _("This event does not offer %(language)s: choose among its languages.")
                % {"language": language_name(language) if language.isascii() else language[:16]}
            )
    return in_event_order(event, list(languages))


async def _room_row(db: AsyncSession, *, event: Event, room_id: int) -> ChannelPlan | None:
    query = select(ChannelPlan).where(
        ChannelPlan.event_id == event.id,
        ChannelPlan.room_id == room_id,
        ChannelPlan.session_id == None,  # noqa: E711
    )
    return (await db.exec(query)).first()


async def _session_row(db: AsyncSession, *, event: Event, session_id: int) -> ChannelPlan | None:
    query = select(ChannelPlan).where(ChannelPlan.event_id == event.id, ChannelPlan.session_id == session_id)
    return (await db.exec(query)).first()


async def room_plan(db: AsyncSession, *, event: Event, room_id: int) -> list[str]:
    plan = await _room_row(db, event=event, room_id=room_id)
    return in_event_order(event, plan.language_list) if plan else []


async def session_plan(db: AsyncSession, *, event: Event, session_id: int) -> list[str] | None:
    """The session's own plan, or None when it follows its room's."""
    plan = await _session_row(db, event=event, session_id=session_id)
    return in_event_order(event, plan.language_list) if plan else None


async def plan_room_channels(
    db: AsyncSession, *, actor: Actor, event: Event, room_id: int, languages: Sequence[str]
) -> list[str]:
    require(actor, can_plan_channels, event)
    chosen = offered(event, languages)
    await begin_write(db)
    room = (await db.exec(select(Room).where(Room.id == room_id, Room.event_id == event.id))).first()
    if room is None:
        raise NotFound(_("There is no such room in this event."))
    plan = await _room_row(db, event=event, room_id=room_id)
    before = plan.language_list if plan else []
    plan = plan or ChannelPlan(event_id=event.id or 0, room_id=room_id)
    plan.languages = ",".join(chosen)
    db.add(plan)
    record(
        db,
        actor=actor,
        event=event,
        action="interpretation.room_channels",
        target_type="room",
        target_id=room_id,
        target_label=room.name,
        before={"channels": before},
        after={"channels": chosen},
    )
    await db.commit()
    return chosen


async def plan_session_channels(
    db: AsyncSession, *, actor: Actor, event: Event, session_id: int, languages: Sequence[str] | None
) -> list[str] | None:
    """The session's own channels (``languages``; empty: none at all), or its room's again (None)."""
    require(actor, can_plan_channels, event)
    chosen = offered(event, languages) if languages is not None else None
    await begin_write(db)
    session = (await db.exec(select(Session).where(Session.id == session_id, Session.event_id == event.id))).first()
    if session is None:
        raise NotFound(_("There is no such session in this event."))
    plan = await _session_row(db, event=event, session_id=session_id)
    before = plan.language_list if plan else None
    if chosen is None:
        if plan is not None:
            await db.delete(plan)
    else:
        plan = plan or ChannelPlan(event_id=event.id or 0, session_id=session_id)
        plan.languages = ",".join(chosen)
        db.add(plan)
    record(
        db,
        actor=actor,
        event=event,
        action="interpretation.session_channels",
        target_type="session",
        target_id=session_id,
        target_label=session.title,
        before={"channels": before},
        after={"channels": chosen},
    )
    await db.commit()
    return chosen
