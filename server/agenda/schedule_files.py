"""Schedule files organisers import: a "podium-event/1" file, or a frab schedule JSON (pretalx, frab, any exporter
of the c3voc schema). Either becomes one ``WantedSchedule``: what the event's programme should hold.

A frab file is read whole and every problem is named with its path and line; nothing is guessed silently: a
session type Podium has no kind for becomes the default kind, and the preview says so.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from server.agenda.file_checks import LONG_TEXT, At, EventFileError, load_json, show, text_field, zone_field
from server.agenda.frab import ascii_slug
from server.agenda.interchange import FORMAT, EventDocument, parse_event_file
from server.agenda.models import SessionKind
from server.errors import InvalidInput
from server.i18n import ngettext
from server.years import YEARS

MAX_ERRORS = 50  # a file broken everywhere is named by its first fifty problems
DEFAULT_KIND = SessionKind.parallel
DEFAULT_TRACK_COLOR = "#4a5568"
# frab "type" (lower case) → Podium's kind; anything else becomes DEFAULT_KIND, named in the preview.
KIND_OF_TYPE: dict[str, SessionKind] = {
    **{kind.value: kind for kind in SessionKind},
    "keynote": SessionKind.plenary,
    "plenary session": SessionKind.plenary,
    "opening": SessionKind.ceremony,
    "closing": SessionKind.ceremony,
    "video": SessionKind.video_address,
    "video address": SessionKind.video_address,
    "pause": SessionKind.break_,
    "lunch": SessionKind.break_,
    "coffee break": SessionKind.break_,
    "exhibit": SessionKind.exhibition,
}
_LANGUAGE = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})?")
_CODE = re.compile(r"[A-Za-z0-9-]{1,64}")
_PRETALX_TALK = re.compile(r"/talk/([A-Za-z0-9]{1,64})/?$")
_DURATION = re.compile(r"(?:(\d{1,2}):)?(\d{1,3}):([0-5]\d)(?::([0-5]\d))?")
_TITLE = text_field(300)
_NAME = text_field(200)
_LONG = text_field(LONG_TEXT, required=False)


class ScheduleFileErrors(InvalidInput):
    """Every problem found in a file, each naming where it is; the file changes nothing."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__(errors[0] if errors else "")
        self.errors = errors


@dataclass
class WantedSession:
    code: str
    guid: uuid.UUID | None  # the file's own identity for the session (frab), matched first on re-import
    title: str
    abstract: str
    kind: str
    start: dt.datetime  # UTC, aware
    end: dt.datetime
    room: str  # a slug of ``WantedSchedule.rooms``
    track: str | None
    language: str
    speakers: list[str]
    # Texts in the event's other languages; None (a frab file) leaves a session's translations as they are.
    translations: dict[str, dict[str, str]] | None = None


@dataclass
class WantedSchedule:
    """What a file says the programme should be. Rooms, tracks and people are column dicts with a ``slug``; a
    column a format does not carry (a frab room's capacity left empty) is absent, and an existing row keeps it."""

    source: str  # FORMAT or "frab"
    event: dict[str, Any]  # Event columns: all of them for a new event
    rooms: list[dict[str, Any]] = field(default_factory=list)
    tracks: list[dict[str, Any]] = field(default_factory=list)
    people: list[dict[str, Any]] = field(default_factory=list)
    sessions: list[WantedSession] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # The kinds a Podium file lists (EventSessionKind columns); None: the event keeps its own (frab has none).
    kinds: list[dict[str, Any]] | None = None

    @property
    def matches_by_name(self) -> bool:
        """frab names rooms, tracks and people; a Podium file names them by slug."""
        return self.source != FORMAT


def read_schedule_file(text: str) -> WantedSchedule:
    """Either format, told apart by its top-level keys; raises ``ScheduleFileErrors`` naming every problem."""
    try:
        raw = load_json(text)
    except EventFileError as error:
        raise ScheduleFileErrors([error.message]) from None
    if isinstance(raw, dict) and "format" in raw:
        try:
            return from_event_document(parse_event_file(text))
        except EventFileError as error:
            raise ScheduleFileErrors([error.message]) from None
    if isinstance(raw, dict) and "schedule" in raw:
        return FrabReader(raw).read()
    raise ScheduleFileErrors(
        [f'the file (line 1): expected a "{FORMAT}" file (with "format") or a frab schedule JSON (with "schedule")']
    )


def from_event_document(document: EventDocument) -> WantedSchedule:
    return WantedSchedule(
        source=FORMAT,
        event=dict(document.event),
        rooms=[dict(room) for room in document.rooms],
        tracks=[dict(track) for track in document.tracks],
        people=[dict(person) for person in document.people],
        kinds=[dict(kind) for kind in document.kinds] if document.kinds is not None else None,
        sessions=[
            WantedSession(
                code=entry.code,
                guid=None,
                title=entry.title,
                abstract=entry.abstract,
                kind=entry.kind,
                start=entry.start,
                end=entry.end,
                room=entry.room,
                track=entry.track,
                language=entry.language,
                speakers=list(entry.speakers),
                translations=entry.translations,
            )
            for entry in document.sessions
        ],
    )


def unique_slug(name: str, taken: set[str], fallback: str) -> str:
    base = ascii_slug(name)[:60].strip("-") or fallback
    slug, number = base, 2
    while slug in taken:
        slug, number = f"{base}-{number}", number + 1
    taken.add(slug)
    return slug


class FrabReader:
    """Reads a frab schedule JSON, collecting problems rather than stopping at the first."""

    def __init__(self, raw: dict[str, Any]) -> None:
        self.raw = raw
        self.errors: list[str] = []
        self.rooms: dict[str, dict[str, Any]] = {}  # by name
        self.tracks: dict[str, dict[str, Any]] = {}
        self.people: dict[str, dict[str, Any]] = {}  # by the person's identity (code, guid or name)
        self.slugs: dict[str, set[str]] = {"room": set(), "track": set(), "person": set()}
        self.defaulted_types: dict[str, int] = {}
        self.codes: dict[str, str] = {}  # code → path of the session holding it

    def fail(self, error: EventFileError | str) -> None:
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(error.message if isinstance(error, EventFileError) else error)

    def check(self, checker: Any, value: Any, at: At) -> Any:
        try:
            return checker(value, at)
        except EventFileError as error:
            self.fail(error)
            return None

    def object_at(self, parent: Any, key: str, at: At, *, required: bool = True) -> tuple[dict[str, Any], At]:
        where = at.key(parent, key)
        value = parent.get(key)
        if value is None and not required:
            return {}, where
        if not isinstance(value, dict):
            self.fail(
                where.error(f"expected an object, not {show(value)}" if key in parent else "this field is missing")
            )
            return {}, where
        return value, where

    def list_at(self, parent: dict[str, Any], key: str, at: At) -> list[Any]:
        value = parent.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self.fail(at.key(parent, key).error(f"expected a list, not {show(value)}"))
            return []
        return value

    def read(self) -> WantedSchedule:
        root = At("", 1)
        schedule, schedule_at = self.object_at(self.raw, "schedule", root)
        conference, conference_at = self.object_at(schedule, "conference", schedule_at)
        title = self.check(_TITLE, conference.get("title"), conference_at.key(conference, "title"))
        zone_name = conference.get("time_zone_name") or "UTC"
        zone_ok = self.check(zone_field, zone_name, conference_at.key(conference, "time_zone_name"))
        zone = ZoneInfo(zone_name) if zone_ok else ZoneInfo("UTC")
        for index, entry in enumerate(self.list_at(conference, "rooms", conference_at)):
            self.room(entry, conference_at.key(conference, "rooms").item(conference["rooms"], index))
        for index, entry in enumerate(self.list_at(conference, "tracks", conference_at)):
            self.track(entry, conference_at.key(conference, "tracks").item(conference["tracks"], index))
        sessions: list[WantedSession] = []
        days_at = conference_at.key(conference, "days")
        for day_index, day in enumerate(self.list_at(conference, "days", conference_at)):
            day_at = days_at.item(conference["days"], day_index)
            rooms, rooms_at = self.object_at(day, "rooms", day_at) if isinstance(day, dict) else ({}, day_at)
            if not isinstance(day, dict):
                self.fail(day_at.error(f"expected an object, not {show(day)}"))
            for room_name, events in rooms.items():
                room_at = rooms_at.key(rooms, room_name)
                if not isinstance(events, list):
                    self.fail(room_at.error(f"expected a list of sessions, not {show(events)}"))
                    continue
                for index, entry in enumerate(events):
                    session = self.session(entry, room_at.item(events, index), room_name, zone)
                    if session is not None:
                        sessions.append(session)
        if not self.errors and not sessions:
            self.fail(days_at.error("the schedule holds no sessions"))
        if self.errors:
            raise ScheduleFileErrors(self.errors)
        return WantedSchedule(
            source="frab",
            event=self.event_fields(conference, str(title), zone, sessions),
            rooms=list(self.rooms.values()),
            tracks=list(self.tracks.values()),
            people=list(self.people.values()),
            sessions=sessions,
            notes=[
                ngettext(
                    '%(count)d session of type "%(type)s" becomes "%(kind)s": Podium has no such kind.',
                    '%(count)d sessions of type "%(type)s" become "%(kind)s": Podium has no such kind.',
                    count,
                )
                % {"count": count, "type": name, "kind": DEFAULT_KIND.value}
                for name, count in self.defaulted_types.items()
            ],
        )

    def event_fields(
        self, conference: dict[str, Any], title: str, zone: ZoneInfo, sessions: list[WantedSession]
    ) -> dict[str, Any]:
        days = sorted({moment.astimezone(zone).date() for s in sessions for moment in (s.start, s.end)})
        languages = list(dict.fromkeys(s.language for s in sessions))
        url = conference.get("url")
        description = conference.get("description")
        acronym = conference.get("acronym")
        return {
            "slug": ascii_slug(acronym if isinstance(acronym, str) and acronym else title)[:64].strip("-") or "event",
            "title": title,
            "acronym": acronym[:40] if isinstance(acronym, str) else "",
            "description": description[:LONG_TEXT] if isinstance(description, str) else "",
            "timezone": zone.key,
            "start_date": days[0],
            "end_date": days[-1],
            "languages": ",".join(languages or ["en"]),
            "url": url if isinstance(url, str) and re.fullmatch(r"https?://[^\s]{1,490}", url) else "",
        }

    def named(self, entry: Any, at: At, *, key: str = "name") -> str | None:
        if not isinstance(entry, dict):
            self.fail(at.error(f"expected an object, not {show(entry)}"))
            return None
        name: str | None = self.check(_NAME, entry.get(key), at.key(entry, key))
        return name

    def room(self, entry: Any, at: At, name: str | None = None) -> str | None:
        """The room's slug, adding it at its first mention (the conference's list, or a day's)."""
        name = self.check(_NAME, name, at) if name is not None else self.named(entry, at)
        if name is None:
            return None
        if name not in self.rooms:
            room: dict[str, Any] = {"slug": unique_slug(name, self.slugs["room"], "room"), "name": name}
            if isinstance(entry, dict):
                capacity = entry.get("capacity")
                if capacity is not None:
                    if type(capacity) is int and 0 <= capacity <= 1_000_000:
                        room["capacity"] = capacity
                    else:
                        self.fail(at.key(entry, "capacity").error(f"expected a number of seats, not {show(capacity)}"))
                if entry.get("description"):
                    room["description"] = self.check(_LONG, entry["description"], at.key(entry, "description")) or ""
            self.rooms[name] = room
        return str(self.rooms[name]["slug"])

    def track(self, entry: Any, at: At, name: str | None = None) -> str | None:
        name = self.check(_NAME, name, at) if name is not None else self.named(entry, at)
        if name is None:
            return None
        if name not in self.tracks:
            color = entry.get("color") if isinstance(entry, dict) else None
            valid = isinstance(color, str) and re.fullmatch(r"#[0-9a-fA-F]{6}", color)
            self.tracks[name] = {
                "slug": unique_slug(name, self.slugs["track"], "track"),
                "name": name,
                "color": color if valid else DEFAULT_TRACK_COLOR,
            }
        return str(self.tracks[name]["slug"])

    def person(self, entry: Any, at: At) -> str | None:
        if not isinstance(entry, dict):
            self.fail(at.error(f"expected an object, not {show(entry)}"))
            return None
        key = "public_name" if "public_name" in entry else "name"
        name = self.check(_NAME, entry.get(key), at.key(entry, key))
        if name is None:
            return None
        identity = str(entry.get("code") or entry.get("guid") or name)
        if identity not in self.people:
            person = {"slug": unique_slug(name, self.slugs["person"], "person"), "name": name}
            if entry.get("biography") is not None:
                person["biography"] = self.check(_LONG, entry["biography"], at.key(entry, "biography")) or ""
            self.people[identity] = person
        return str(self.people[identity]["slug"])

    def session(self, entry: Any, at: At, room_name: str, zone: ZoneInfo) -> WantedSession | None:
        if not isinstance(entry, dict):
            self.fail(at.error(f"expected an object, not {show(entry)}"))
            return None
        before = len(self.errors)
        title = self.check(_TITLE, entry.get("title"), at.key(entry, "title"))
        texts = [self.check(_LONG, entry.get(key) or "", at.key(entry, key)) for key in ("abstract", "description")]
        abstract = "\n\n".join(text for text in texts if text)
        if len(abstract) > LONG_TEXT:
            self.fail(
                at.key(entry, "description").error(f"abstract and description take more than {LONG_TEXT} characters")
            )
        guid = self.guid(entry, at)
        code = self.code(entry, at)
        start, end = self.times(entry, at, zone)
        room_value = entry.get("room", room_name)
        room = self.room(None, at.key(entry, "room"), room_value) if isinstance(room_value, str) else None
        if room is None and not isinstance(room_value, str):
            self.fail(at.key(entry, "room").error(f"expected a room's name, not {show(room_value)}"))
        track_value = entry.get("track")
        track = None
        if isinstance(track_value, str) and track_value.strip():
            track = self.track(None, at.key(entry, "track"), track_value)
        elif track_value not in (None, ""):
            self.fail(at.key(entry, "track").error(f"expected a track's name, not {show(track_value)}"))
        kind = self.kind(entry.get("type"))
        language = entry.get("language") or "en"
        if not isinstance(language, str) or not _LANGUAGE.fullmatch(language):
            self.fail(at.key(entry, "language").error(f"{show(language)} is not a language code like en or zh-Hant"))
        persons = entry.get("persons") or []
        if not isinstance(persons, list):
            self.fail(at.key(entry, "persons").error(f"expected a list, not {show(persons)}"))
            persons = []
        speakers = [self.person(person, at.key(entry, "persons").item(persons, i)) for i, person in enumerate(persons)]
        if len(self.errors) > before or None in (title, start, end, room):
            return None
        assert start is not None and end is not None and room is not None
        return WantedSession(
            code=code,
            guid=guid,
            title=str(title),
            abstract=abstract,
            kind=kind,
            start=start,
            end=end,
            room=room,
            track=track,
            language=str(language),
            speakers=list(dict.fromkeys(slug for slug in speakers if slug is not None)),
        )

    def guid(self, entry: dict[str, Any], at: At) -> uuid.UUID | None:
        value = entry.get("guid")
        if value is None:
            return None
        try:
            return uuid.UUID(str(value))
        except ValueError:
            self.fail(at.key(entry, "guid").error(f"{show(value)} is not a UUID"))
            return None

    def code(self, entry: dict[str, Any], at: At) -> str:
        """The frab ``code``, else pretalx's talk code from its address, else the frab ``id``."""
        url = entry.get("url")
        found = _PRETALX_TALK.search(url) if isinstance(url, str) else None
        candidates = [entry.get("code"), found.group(1) if found else None, entry.get("id")]
        code = next((str(value) for value in candidates if value is not None and _CODE.fullmatch(str(value))), "")
        if not code:
            self.fail(at.error('the session has no "code" or "id" Podium can use (1 to 64 of A-Z, a-z, 0-9 and -)'))
        elif code in self.codes:
            self.fail(at.error(f'the code "{code}" is already used by {self.codes[code]}'))
        else:
            self.codes[code] = at.path
        return code

    def times(self, entry: dict[str, Any], at: At, zone: ZoneInfo) -> tuple[dt.datetime | None, dt.datetime | None]:
        value = entry.get("date")
        try:
            start = dt.datetime.fromisoformat(value) if isinstance(value, str) else None
        except ValueError:
            start = None
        if start is None or start.year not in YEARS:
            self.fail(
                at.key(entry, "date").error(f"{show(value)} is not a date and time like 2020-12-14T09:00:00+01:00")
            )
            return None, None
        start = (start if start.tzinfo else start.replace(tzinfo=zone)).astimezone(dt.UTC)
        duration = entry.get("duration")
        match = _DURATION.fullmatch(duration) if isinstance(duration, str) else None
        if match is None:
            self.fail(at.key(entry, "duration").error(f"{show(duration)} is not a duration like 01:30"))
            return start, None
        days, hours, minutes, seconds = (int(part or 0) for part in match.groups())
        length = dt.timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
        if not dt.timedelta(0) < length <= dt.timedelta(days=14):
            self.fail(
                at.key(entry, "duration").error(f"{show(duration)} must be longer than nothing and 14 days at most")
            )
            return start, None
        return start, start + length

    def kind(self, value: Any) -> str:
        name = value.strip() if isinstance(value, str) else ""
        kind = KIND_OF_TYPE.get(name.casefold())
        if kind is None:
            label = name or "(none)"
            self.defaulted_types[label] = self.defaulted_types.get(label, 0) + 1
            return DEFAULT_KIND.value
        return kind.value
