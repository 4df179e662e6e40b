"""The programme as the editor sees it: the released sessions with their drafts laid over them, and the warnings
(a room double-booked, a speaker in two places, a session outside the event's days) computed over that copy."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server import formats
from server.agenda.kinds import session_kind_choices
from server.agenda.models import Person, Room, Session, SessionSpeaker, Track
from server.agenda.services import SessionView, rooms_and_tracks, to_zone
from server.errors import NotFound
from server.events.models import Event
from server.i18n import gettext as _
from server.organising.models import SessionDraft
from server.registration.seats import SEATLESS_KINDS, seatless_kinds

# Compared between a session and its draft: what a release changes, and the editor's fields.
TIMING = ("start", "end", "room_id")
DETAILS = ("title", "abstract", "kind", "track_id", "language", "translations")


@dataclass(frozen=True)
class EditorSession:
    """One session in the working copy: its proposed values (``view``), and what is released of it."""

    view: SessionView  # the merged values, as the public pages would show them after the next release
    speaker_ids: tuple[int, ...]
    version: int  # the edit version a form carries back (optimistic concurrency)
    released: Session | None  # None for a session new in this draft
    draft: SessionDraft | None
    released_speaker_ids: tuple[int, ...] = ()

    @property
    def code(self) -> str:
        return self.view.session.code

    @property
    def session(self) -> Session:
        return self.view.session

    @property
    def state(self) -> str:
        """ "new", "cancelled" (in this draft), "changed", "released" or "withdrawn" (cancelled and released)."""
        if self.released is None:
            return "new"
        if self.draft is None:
            return "withdrawn" if self.released.cancelled else "released"
        if self.draft.cancelled and not self.released.cancelled:
            return "cancelled"
        return "changed"


@dataclass(frozen=True)
class Warning:
    code: str  # the session it concerns
    message: str


@dataclass(frozen=True)
class WorkingCopy:
    event: Event
    rooms: tuple[Room, ...]
    tracks: tuple[Track, ...]
    people: tuple[Person, ...]
    sessions: tuple[EditorSession, ...]
    kinds: tuple[tuple[str, str], ...] = ()  # the event's kinds (server/agenda/kinds.py), as (slug, name)
    seatless: frozenset[str] = SEATLESS_KINDS  # the slugs of kinds that hold no seat and clash with nothing
    by_code: dict[str, EditorSession] = field(default_factory=dict, compare=False)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.event.timezone)

    @property
    def drafts(self) -> list[EditorSession]:
        return [item for item in self.sessions if item.draft is not None]

    def get(self, code: str) -> EditorSession:
        item = self.by_code.get(code)
        if item is None:
            raise NotFound(_("There is no such session in this event."))
        return item

    def warnings(self, code: str | None = None) -> list[Warning]:
        """Clashes and sessions outside the event's days, for one session or for all."""
        return programme_warnings(self, only=code)


def _speakers(rows: list[SessionSpeaker]) -> dict[int, list[int]]:
    by_session: dict[int, list[int]] = {}
    for row in rows:
        by_session.setdefault(row.session_id, []).append(row.person_id)
    return by_session


def draft_session(draft: SessionDraft, released: Session | None) -> Session:
    """A transient session (never added to the database) holding the draft's values."""
    return Session(
        id=released.id if released is not None else None,
        event_id=draft.event_id,
        code=draft.code,
        guid=released.guid if released is not None else uuid.uuid4(),
        title=draft.title,
        abstract=draft.abstract,
        kind=draft.kind,
        start=draft.start,
        end=draft.end,
        room_id=draft.room_id,
        track_id=draft.track_id,
        language=draft.language,
        position=released.position if released is not None else 0,
        capacity=draft.capacity,
        cancelled=draft.cancelled,
        translations=draft.translations,
        version=released.version if released is not None else draft.version,
    )


async def load_working_copy(db: AsyncSession, *, event: Event) -> WorkingCopy:
    """Every session of ``event`` with its draft laid over it, and the new sessions, in six queries."""
    rooms, tracks = await rooms_and_tracks(db, event=event)
    people = (
        await db.exec(select(Person).where(Person.event_id == event.id).order_by(col(Person.name), col(Person.id)))
    ).all()
    sessions = (await db.exec(select(Session).where(Session.event_id == event.id))).all()
    links = (
        await db.exec(
            select(SessionSpeaker)
            .join(Session, col(Session.id) == col(SessionSpeaker.session_id))
            .where(Session.event_id == event.id)
            .order_by(col(SessionSpeaker.position))
        )
    ).all()
    drafts = (await db.exec(select(SessionDraft).where(SessionDraft.event_id == event.id))).all()
    rooms_by_id = {room.id: room for room in rooms}
    tracks_by_id = {track.id: track for track in tracks}
    people_by_id = {person.id: person for person in people}
    speakers = _speakers(list(links))
    drafts_by_session: dict[int, SessionDraft] = {
        draft.session_id: draft for draft in drafts if draft.session_id is not None
    }

    def item(
        values: Session, speaker_ids: list[int], released: Session | None, draft: SessionDraft | None
    ) -> EditorSession:
        view = SessionView(
            session=values,
            room=rooms_by_id[values.room_id],
            track=tracks_by_id.get(values.track_id) if values.track_id is not None else None,
            speakers=tuple(people_by_id[person_id] for person_id in speaker_ids if person_id in people_by_id),
        )
        version = released.version if released is not None else (draft.version if draft is not None else 1)
        return EditorSession(
            view=view,
            speaker_ids=tuple(speaker_ids),
            version=version,
            released=released,
            draft=draft,
            released_speaker_ids=tuple(speakers.get(released.id or 0, [])) if released is not None else (),
        )

    items = []
    for session in sessions:
        draft = drafts_by_session.get(session.id or 0)
        if draft is None:
            items.append(item(session, speakers.get(session.id or 0, []), session, None))
        else:
            items.append(item(draft_session(draft, session), list(draft.speaker_ids), session, draft))
    for draft in drafts:
        if draft.session_id is None:
            items.append(item(draft_session(draft, None), list(draft.speaker_ids), None, draft))
    items.sort(key=lambda entry: (entry.session.start, entry.session.position, entry.code))
    return WorkingCopy(
        event=event,
        rooms=tuple(rooms),
        tracks=tuple(tracks),
        people=tuple(people),
        sessions=tuple(items),
        kinds=tuple(await session_kind_choices(db, event)),
        seatless=await seatless_kinds(db, event=event),
        by_code={entry.code: entry for entry in items},
    )


def _overlap(first: Session, second: Session) -> bool:
    return first.start < second.end and second.start < first.end


def _when(session: Session, zone: ZoneInfo) -> str:
    return formats.time_range(session.start, session.end, zone)


def programme_warnings(copy: WorkingCopy, *, only: str | None = None) -> list[Warning]:
    """What an organiser should look at before releasing; cancelled sessions clash with nothing, and neither do
    exhibitions and breaks (the rule picks follow)."""
    live = [entry for entry in copy.sessions if not entry.session.cancelled]
    zone = copy.zone
    event = copy.event
    warnings: list[Warning] = []
    for index, entry in enumerate(live):
        session = entry.session
        local_start, local_end = to_zone(session.start, zone), to_zone(session.end, zone)
        last_day = (local_end - dt.timedelta(microseconds=1)).date()  # ending at midnight ends the day before
        if (only is None or only == entry.code) and (
            local_start.date() < event.start_date or last_day > event.end_date
        ):
            warnings.append(
                Warning(
                    entry.code,
                    _("“%(title)s” (%(when)s) is outside the event's days, %(first)s to %(last)s.")
                    % {
                        "title": session.title,
                        "when": _when(session, zone),
                        "first": formats.date(event.start_date),
                        "last": formats.date(event.end_date),
                    },
                )
            )
        for other in live[index + 1 :]:
            if only is not None and only not in (entry.code, other.code):
                continue
            if not _overlap(session, other.session):
                continue
            if session.kind in copy.seatless or other.session.kind in copy.seatless:
                continue  # exhibitions run for days and breaks are for everyone: as for picks, they clash with nothing
            if session.room_id == other.session.room_id:
                warnings.append(
                    Warning(
                        entry.code,
                        _("%(room)s is double-booked: “%(title)s” and “%(other)s” overlap (%(when)s).")
                        % {
                            "room": entry.view.room.name,
                            "title": session.title,
                            "other": other.session.title,
                            "when": _when(other.session, zone),
                        },
                    )
                )
            for person in entry.view.speakers:
                if person.id in other.speaker_ids:
                    warnings.append(
                        Warning(
                            entry.code,
                            _("%(person)s speaks in two places at once: “%(title)s” and “%(other)s”.")
                            % {"person": person.name, "title": session.title, "other": other.session.title},
                        )
                    )
    return warnings
