"""Each event's kinds of session: a table per event (name, slug, colour, order, and the built-in behaviour each
shares), which ``Session.kind`` names by slug. A new event starts with the six built-in kinds."""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.agenda.models import EventSessionKind, SessionKind
from server.events.models import Event

# The built-in kinds' names as stored; pages show them translated until an organiser renames them
# (server/transport/agenda_view.py's kind_labels holds the translations).
DEFAULT_NAMES: dict[str, str] = {
    SessionKind.plenary: "Plenary",
    SessionKind.parallel: "Parallel session",
    SessionKind.ceremony: "Ceremony",
    SessionKind.video_address: "Video address",
    SessionKind.exhibition: "Exhibition",
    SessionKind.break_: "Break",
}


def default_kinds(event_id: int) -> list[EventSessionKind]:
    """The six built-in kinds, each its own behaviour, for a new event."""
    return [
        EventSessionKind(event_id=event_id, slug=kind.value, name=DEFAULT_NAMES[kind], behaviour=kind.value, position=i)
        for i, kind in enumerate(SessionKind)
    ]


def is_default(kinds: list[EventSessionKind] | tuple[EventSessionKind, ...]) -> bool:
    """Whether ``kinds`` (in order) are exactly the built-in six, unchanged: the event file leaves those out."""
    expected = [(kind.value, DEFAULT_NAMES[kind], "", kind.value) for kind in SessionKind]
    return [(kind.slug, kind.name, kind.color, kind.behaviour) for kind in kinds] == expected


async def event_kinds(db: AsyncSession, *, event_id: int) -> list[EventSessionKind]:
    """The event's kinds in order."""
    query = (
        select(EventSessionKind)
        .where(EventSessionKind.event_id == event_id)
        .order_by(col(EventSessionKind.position), col(EventSessionKind.id))
    )
    return list((await db.exec(query)).all())


async def session_kind_choices(db: AsyncSession, event: Event) -> list[tuple[str, str]]:
    """(slug, name) of each of the event's kinds, in order: the choices of a session's kind."""
    return [(kind.slug, kind.name) for kind in await event_kinds(db, event_id=event.id or 0)]


def behaviour_of(slug: str, kinds: dict[str, EventSessionKind]) -> SessionKind:
    """The built-in behaviour of the kind ``slug``: its kind's, or the built-in of that name, else an ordinary one."""
    kind = kinds.get(slug)
    value = kind.behaviour if kind is not None else slug
    return SessionKind(value) if value in {known.value for known in SessionKind} else SessionKind.parallel


# Exhibitions run for days and breaks are for everyone: a session of a kind behaving as either holds no seat and
# clashes with no pick; a break cannot be picked at all.
SEATLESS = frozenset({SessionKind.exhibition, SessionKind.break_})
UNPICKABLE = frozenset({SessionKind.break_})


async def slugs_behaving_as(db: AsyncSession, *, event_id: int, behaviours: frozenset[SessionKind]) -> frozenset[str]:
    """The slugs of the event's kinds that behave as one of ``behaviours`` (and those built-in slugs the event
    does not define otherwise, for events made before kinds were per event)."""
    query = select(EventSessionKind.slug, EventSessionKind.behaviour).where(EventSessionKind.event_id == event_id)
    rows = (await db.exec(query)).all()
    defined = {slug for slug, _behaviour in rows}
    return frozenset(
        {slug for slug, behaviour in rows if behaviour in behaviours}
        | {kind.value for kind in behaviours if kind.value not in defined}
    )
