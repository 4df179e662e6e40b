"""Reading the agenda: one programme per event, loaded in a fixed number of queries."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.agenda.kinds import behaviour_of
from server.agenda.models import (
    EventSessionKind,
    Person,
    Room,
    Session,
    SessionKind,
    SessionMaterial,
    SessionSpeaker,
    Track,
)
from server.errors import InvalidInput, NotFound
from server.events.models import Event
from server.i18n import gettext as _


@dataclass(frozen=True)
class SessionView:
    """A session with everything a page or an export shows of it."""

    session: Session
    room: Room
    track: Track | None
    speakers: tuple[Person, ...]
    behaviour: SessionKind = SessionKind.parallel  # what its kind behaves as (server/agenda/kinds.py)

    @property
    def pickable(self) -> bool:
        """Whether a delegate can add it to their agenda: everything but breaks (and kinds behaving as them) and
        cancelled sessions."""
        return self.behaviour != SessionKind.break_ and not self.session.cancelled

    def local_start(self, zone: ZoneInfo) -> dt.datetime:
        return to_zone(self.session.start, zone)

    def local_end(self, zone: ZoneInfo) -> dt.datetime:
        return to_zone(self.session.end, zone)

    @property
    def duration(self) -> dt.timedelta:
        return self.session.end - self.session.start

    def matches(self, needle: str) -> bool:
        translated = [text for texts in self.session.translations.values() for text in texts.values()]
        haystack = [self.session.title, self.session.abstract, *translated, *(person.name for person in self.speakers)]
        return any(needle in text.casefold() for text in haystack)


@dataclass(frozen=True)
class Programme:
    event: Event
    rooms: tuple[Room, ...]
    tracks: tuple[Track, ...]
    people: tuple[Person, ...]
    sessions: tuple[SessionView, ...]
    by_code: dict[str, SessionView] = field(default_factory=dict, compare=False)
    kinds: tuple[EventSessionKind, ...] = ()
    materials: dict[int, tuple[SessionMaterial, ...]] = field(default_factory=dict, compare=False)  # by session id

    @property
    def kind_slugs(self) -> list[str]:
        """The slugs a session's kind may take: the event's kinds (the built-in ones for an event without)."""
        return [kind.slug for kind in self.kinds] if self.kinds else [kind.value for kind in SessionKind]

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.event.timezone)

    def session(self, code: str) -> SessionView:
        view = self.by_code.get(code)
        if view is None:
            raise NotFound(_("There is no session '%(code)s' in this event.") % {"code": code})
        return view


@dataclass(frozen=True)
class AgendaFilter:
    """What a visitor narrowed the programme to. Empty fields mean "everything"."""

    query: str = ""
    day: dt.date | None = None
    track: str = ""
    room: str = ""
    kind: str = ""

    @property
    def is_empty(self) -> bool:
        return not (self.query or self.day or self.track or self.room or self.kind)


def to_zone(moment: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    # SQLModel's UTCDateTime hands back aware UTC datetimes; a naive one is taken as UTC.
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(zone)


async def rooms_and_tracks(db: AsyncSession, *, event: Event) -> tuple[Sequence[Room], Sequence[Track]]:
    """The event's rooms and tracks in their organisers' order: the agenda's and the programme editor's."""
    rooms = (
        await db.exec(select(Room).where(Room.event_id == event.id).order_by(col(Room.position), col(Room.id)))
    ).all()
    tracks = (
        await db.exec(select(Track).where(Track.event_id == event.id).order_by(col(Track.position), col(Track.id)))
    ).all()
    return rooms, tracks


async def load_programme(db: AsyncSession, *, event: Event) -> Programme:
    """The whole agenda of ``event`` in seven queries, however many sessions it has."""
    rooms, tracks = await rooms_and_tracks(db, event=event)
    people = (
        await db.exec(select(Person).where(Person.event_id == event.id).order_by(col(Person.position), col(Person.id)))
    ).all()
    sessions = (
        await db.exec(
            select(Session)
            .where(Session.event_id == event.id)
            .order_by(col(Session.start), col(Session.position), col(Session.id))
        )
    ).all()
    links = (
        await db.exec(
            select(SessionSpeaker)
            .join(Session, col(Session.id) == col(SessionSpeaker.session_id))
            .where(Session.event_id == event.id)
            .order_by(col(SessionSpeaker.position))
        )
    ).all()
    kinds = (
        await db.exec(
            select(EventSessionKind)
            .where(EventSessionKind.event_id == event.id)
            .order_by(col(EventSessionKind.position), col(EventSessionKind.id))
        )
    ).all()
    materials: dict[int, list[SessionMaterial]] = {}
    material_rows = await db.exec(
        select(SessionMaterial)
        .where(SessionMaterial.event_id == event.id)
        .order_by(col(SessionMaterial.position), col(SessionMaterial.id))
    )
    for material in material_rows.all():
        materials.setdefault(material.session_id, []).append(material)
    kinds_by_slug = {kind.slug: kind for kind in kinds}
    rooms_by_id = {room.id: room for room in rooms}
    tracks_by_id = {track.id: track for track in tracks}
    people_by_id = {person.id: person for person in people}
    speakers: dict[int, list[Person]] = {}
    for link in links:
        speakers.setdefault(link.session_id, []).append(people_by_id[link.person_id])
    views = tuple(
        SessionView(
            session=session,
            room=rooms_by_id[session.room_id],
            track=tracks_by_id.get(session.track_id) if session.track_id is not None else None,
            speakers=tuple(speakers.get(session.id or 0, ())),
            behaviour=behaviour_of(session.kind, kinds_by_slug),
        )
        for session in sessions
    )
    return Programme(
        event=event,
        rooms=tuple(rooms),
        tracks=tuple(tracks),
        people=tuple(people),
        sessions=views,
        by_code={view.session.code: view for view in views},
        kinds=tuple(kinds),
        materials={session_id: tuple(rows) for session_id, rows in materials.items()},
    )


def parse_filter(
    programme: Programme, *, query: str = "", day: str = "", track: str = "", room: str = "", kind: str = ""
) -> AgendaFilter:
    """Validate a visitor's filter against this event; unknown values are a clear error, not an empty page."""
    event = programme.event
    query = query.strip()
    if len(query) > 200:
        raise InvalidInput(_("The search text is too long (200 characters at most)."))
    parsed_day: dt.date | None = None
    if day:
        try:
            parsed_day = dt.date.fromisoformat(day)
        except ValueError:
            raise InvalidInput(_("'%(day)s' is not a date; use the form 2021-10-27.") % {"day": day}) from None
        if parsed_day not in event.days:
            raise NotFound(_("This event has no day %(day)s.") % {"day": day})
    if track and track not in {t.slug for t in programme.tracks}:
        raise NotFound(_("This event has no track '%(track)s'.") % {"track": track})
    if room and room not in {r.slug for r in programme.rooms}:
        raise NotFound(_("This event has no room '%(room)s'.") % {"room": room})
    if kind and kind not in programme.kind_slugs:
        raise InvalidInput(_("'%(kind)s' is not a kind of session.") % {"kind": kind})
    return AgendaFilter(query=query, day=parsed_day, track=track, room=room, kind=kind)


def select_sessions(programme: Programme, agenda_filter: AgendaFilter) -> list[SessionView]:
    """The sessions that pass ``agenda_filter``; a day is a day of the event in its own time zone."""
    needle = agenda_filter.query.casefold()
    chosen = []
    for view in programme.sessions:
        if agenda_filter.day and view.local_start(programme.zone).date() != agenda_filter.day:
            continue
        if agenda_filter.track and (view.track is None or view.track.slug != agenda_filter.track):
            continue
        if agenda_filter.room and view.room.slug != agenda_filter.room:
            continue
        if agenda_filter.kind and view.session.kind != agenda_filter.kind:
            continue
        if needle and not view.matches(needle):
            continue
        chosen.append(view)
    return chosen
