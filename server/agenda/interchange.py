"""The Podium event file ("podium-event/1"): parse and validate it, import it, export an event back to it.

Errors name the field path and the line it is on, so an organiser can fix a hand-edited file.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.agenda.located_json import LineDecoder, LocatedArray, LocatedObject
from server.agenda.models import Person, Room, Session, SessionKind, SessionSpeaker, Track
from server.agenda.services import load_programme, to_zone
from server.errors import InvalidInput
from server.events.models import Event
from server.text import storable
from server.years import YEARS

FORMAT = "podium-event/1"
DEMO_EVENT_FILE = Path(__file__).resolve().parent.parent / "demo" / "asian-dialogue-2021.json"
_TIME_FORMAT = "%Y-%m-%dT%H:%M"
LONG_TEXT = 20_000  # descriptions, abstracts and biographies: about ten printed pages


class EventFileError(InvalidInput):
    def __init__(self, message: str, *, path: str = "", line: int | None = None) -> None:
        super().__init__(message)
        self.path = path
        self.line = line


def _load_json(text: str) -> Any:
    try:
        return LineDecoder().decode(text.removeprefix("\ufeff"))
    except json.JSONDecodeError as err:
        message = f"line {err.lineno}, column {err.colno}: {err.msg.removesuffix(' at')}"
        raise EventFileError(f"This is not valid JSON: {message}", line=err.lineno) from None
    except (ValueError, RecursionError) as err:
        raise EventFileError(f"This is not valid JSON: {err}") from None


# --- Validation ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _At:
    """Where a value sits in the file: its path and line, for error messages."""

    path: str
    line: int

    def error(self, message: str) -> EventFileError:
        where = self.path or "the file"
        return EventFileError(f"{where} (line {self.line}): {message}", path=self.path, line=self.line)

    def key(self, obj: dict[str, Any], name: str) -> _At:
        lines = obj.lines if isinstance(obj, LocatedObject) else {}
        return _At(f"{self.path}.{name}" if self.path else name, lines.get(name, self.line))

    def item(self, array: list[Any], index: int) -> _At:
        line = array.lines[index] if isinstance(array, LocatedArray) else self.line
        return _At(f"{self.path}[{index}]", line)


def _show(value: Any) -> str:
    if isinstance(value, list | dict):
        return "a list" if isinstance(value, list) else "an object"
    return json.dumps(value, ensure_ascii=False)


Check = Callable[[Any, _At], Any]


def _text(max_length: int | None = None, *, required: bool = True, pattern: str = "", what: str = "") -> Check:
    """Text, non-blank if ``required``, matching ``pattern`` (described as ``what``) unless optional and empty."""
    compiled = re.compile(pattern) if pattern else None

    def check(value: Any, at: _At) -> str:
        if not isinstance(value, str):
            raise at.error(f"expected text, not {_show(value)}")
        if not storable(value):
            raise at.error("contains a NUL character (or a lone surrogate), which Podium cannot store")
        if compiled and (value or required) and not compiled.fullmatch(value):
            raise at.error(f"{_show(value)} is not {what}")
        if required and not value.strip():
            raise at.error("must not be empty")
        if max_length is not None and len(value) > max_length:
            raise at.error(f"is {len(value)} characters long; {max_length} at most")
        return value

    return check


def _parsed(regex: str, parse: Callable[[str], Any], what: str) -> Check:
    shape = _text(pattern=regex, what=what)

    def check(value: Any, at: _At) -> Any:
        try:
            parsed = parse(shape(value, at))
        except ValueError:
            raise at.error(f"{_show(value)} is not {what}") from None
        if parsed.year not in YEARS:
            raise at.error(f"{_show(value)} is outside the years {YEARS[0]} to {YEARS[-1]}")
        return parsed

    return check


def _choice(choices: list[str]) -> Check:
    def check(value: Any, at: _At) -> str:
        if value not in choices:
            raise at.error(f"{_show(value)} is not one of {', '.join(choices)}")
        return str(value)

    return check


def _capacity(value: Any, at: _At) -> int:
    if type(value) is not int or not 0 <= value <= 1_000_000:
        raise at.error(f"expected a whole number of seats from 0 to 1000000, not {_show(value)}")
    return value


def _zone(value: Any, at: _At) -> str:
    _text(64)(value, at)
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise at.error(f"{_show(value)} is not a known time zone; use an IANA name like Asia/Shanghai") from None
    return str(value)


def _list_of(item: Check, *, at_least: int = 0) -> Check:
    def check(value: Any, at: _At) -> tuple[Any, ...]:
        if not isinstance(value, list):
            raise at.error(f"expected a list, not {_show(value)}")
        if len(value) < at_least:
            raise at.error(f"needs at least {at_least} entry")
        items = tuple(item(entry, at.item(value, index)) for index, entry in enumerate(value))
        for index, entry in enumerate(items):
            if entry in items[:index]:
                raise at.item(value, index).error(f"{_show(entry)} is listed twice")
        return items

    return check


_SLUG = _text(pattern=r"[a-z0-9-]{1,64}", what="a slug (1 to 64 of a-z, 0-9 and -)")
_LANGUAGE = _text(pattern=r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})?", what="a language code like en or zh-Hant")
_COUNTRY = _text(pattern=r"[A-Z]{2}", what="a two-letter country code like CN", required=False)
_DATE = _parsed(r"\d{4}-\d{2}-\d{2}", dt.date.fromisoformat, "a date like 2021-10-27")
_TIME = _parsed(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}",
    lambda text: dt.datetime.strptime(text, _TIME_FORMAT),
    "a time; write the local time of the event like 2021-10-27T09:30, with no offset",
)


def _optional_slug(value: Any, at: _At) -> str | None:
    return None if value is None else _SLUG(value, at)


_FORMAT = _choice([FORMAT])
_TOP: dict[str, Check | None] = {
    "format": _FORMAT,
    "event": None,
    "rooms": None,
    "tracks": None,
    "people": None,
    "sessions": None,
}
_EVENT: dict[str, Check] = {
    "slug": _SLUG,
    "title": _text(300),
    "acronym": _text(40, required=False),
    "description": _text(LONG_TEXT, required=False),
    "timezone": _zone,
    "start_date": _DATE,
    "end_date": _DATE,
    "venue": _text(300, required=False),
    "city": _text(120, required=False),
    "country": _COUNTRY,
    "languages": _list_of(_LANGUAGE, at_least=1),
    "attendance": _choice(["hybrid", "on-site", "online"]),
    "url": _text(pattern=r"https?://[^\s]{1,490}", what="a web address starting with https://", required=False),
}
_ROOM = {"slug": _SLUG, "name": _text(200), "description": _text(LONG_TEXT, required=False), "capacity": _capacity}
_TRACK = {"slug": _SLUG, "name": _text(200), "color": _text(pattern=r"#[0-9a-fA-F]{6}", what="a colour like #2f855a")}
_PERSON = {
    "slug": _SLUG,
    "name": _text(200),
    "organisation": _text(200, required=False),
    "country": _COUNTRY,
    "biography": _text(LONG_TEXT, required=False),
}
_SESSION: dict[str, Check] = {
    "code": _text(pattern=r"[A-Za-z0-9-]{1,64}", what="a session code (1 to 64 of A-Z, a-z, 0-9 and -)"),
    "title": _text(300),
    "abstract": _text(LONG_TEXT, required=False),
    "kind": _choice([kind.value for kind in SessionKind]),
    "start": _TIME,
    "end": _TIME,
    "room": _SLUG,
    "track": _optional_slug,
    "language": _LANGUAGE,
    "speakers": _list_of(_SLUG),
}


def _record(value: Any, at: _At, spec: dict[str, Check | None] | dict[str, Check]) -> dict[str, Any]:
    """Checks one object against ``spec``: no unknown keys, none missing, each value valid."""
    if not isinstance(value, dict):
        raise at.error(f"expected an object, not {_show(value)}")
    for key in value:
        if key not in spec:
            close = difflib.get_close_matches(key, list(spec), n=1)
            hint = f' (did you mean "{close[0]}"?)' if close else f"; expected {', '.join(spec)}"
            raise at.key(value, key).error(f"unknown field{hint}")
    for key in spec:
        if key not in value:
            raise at.key(value, key).error("this field is missing")
    return {key: check(value[key], at.key(value, key)) if check else value[key] for key, check in spec.items()}


def _records(value: Any, at: _At, spec: dict[str, Check], unique: str) -> list[tuple[dict[str, Any], _At]]:
    """A list of records whose ``unique`` field is unique, each with where it is."""
    if not isinstance(value, list):
        raise at.error(f"expected a list, not {_show(value)}")
    records: list[tuple[dict[str, Any], _At]] = []
    seen: dict[str, _At] = {}
    for index, entry in enumerate(value):
        where = at.item(value, index)
        record = _record(entry, where, spec)
        if record[unique] in seen:
            first = seen[record[unique]]
            key_at = where.key(entry, unique)
            raise key_at.error(f"{_show(record[unique])} is already used by {first.path} (line {first.line})")
        seen[record[unique]] = where
        records.append((record, where))
    return records


# --- The document --------------------------------------------------------------------------------


@dataclass(frozen=True)
class SessionEntry:
    code: str
    title: str
    abstract: str
    kind: SessionKind
    start: dt.datetime  # UTC, aware
    end: dt.datetime
    room: str
    track: str | None
    language: str
    speakers: tuple[str, ...]


@dataclass(frozen=True)
class EventDocument:
    """A validated event file. ``raw`` is the JSON as parsed; the rest is ready to become rows."""

    raw: dict[str, Any]
    event: dict[str, Any]  # Event columns
    rooms: tuple[dict[str, Any], ...]  # Room columns, in file order
    tracks: tuple[dict[str, Any], ...]
    people: tuple[dict[str, Any], ...]
    sessions: tuple[SessionEntry, ...]

    @property
    def slug(self) -> str:
        return str(self.event["slug"])


def _to_utc(local: dt.datetime, zone: ZoneInfo, at: _At) -> dt.datetime:
    utc = local.replace(tzinfo=zone).astimezone(dt.UTC)
    if utc.astimezone(zone).replace(tzinfo=None) != local:
        raise at.error(f'"{local.strftime(_TIME_FORMAT)}" does not exist in {zone.key}: the clocks skip it')
    return utc


def _session(
    record: dict[str, Any], at: _At, raw: dict[str, Any], event: dict[str, Any], names: dict[str, set[str]]
) -> SessionEntry:
    zone = ZoneInfo(event["timezone"])
    start, end = (_to_utc(record[key], zone, at.key(raw, key)) for key in ("start", "end"))
    if end <= start:
        raise at.key(raw, "end").error(f"{_show(raw['end'])} is not after the start, {_show(raw['start'])}")
    for key in ("start", "end"):
        if not event["start_date"] <= record[key].date() <= event["end_date"]:
            span = f"{event['start_date']} to {event['end_date']}"
            raise at.key(raw, key).error(f"{_show(raw[key])} is outside the event's dates, {span}")
    if record["language"] not in event["languages"].split(","):
        raise at.key(raw, "language").error(f"{_show(record['language'])} is not one of the event's languages")
    for key, section in (("room", "rooms"), ("track", "tracks")):
        if record[key] is not None and record[key] not in names[section]:
            raise at.key(raw, key).error(f'there is no {key} {_show(record[key])} in "{section}"')
    for index, slug in enumerate(record["speakers"]):
        if slug not in names["people"]:
            raise at.key(raw, "speakers").item(raw["speakers"], index).error(f'there is no person "{slug}" in "people"')
    return SessionEntry(**{**record, "kind": SessionKind(record["kind"]), "start": start, "end": end})


def parse_event_file(text: str) -> EventDocument:
    """Parse and validate a "podium-event/1" file; the first problem found raises EventFileError."""
    raw = _load_json(text)
    root = _At("", 1)
    if isinstance(raw, dict) and "format" in raw:  # a newer format should say so, not list its new keys
        _FORMAT(raw["format"], root.key(raw, "format"))
    top = _record(raw, root, _TOP)
    event_at = root.key(raw, "event")
    event = _record(top["event"], event_at, _EVENT)
    if event["end_date"] < event["start_date"]:
        dates = f"{_show(raw['event']['end_date'])} is before the start_date, {_show(raw['event']['start_date'])}"
        raise event_at.key(raw["event"], "end_date").error(dates)
    event["languages"] = ",".join(event["languages"])
    if len(event["languages"]) > 200:
        raise event_at.key(raw["event"], "languages").error("the languages take more than 200 characters")
    sections = {
        name: _records(raw[name], root.key(raw, name), spec, unique)
        for name, spec, unique in (
            ("rooms", _ROOM, "slug"),
            ("tracks", _TRACK, "slug"),
            ("people", _PERSON, "slug"),
            ("sessions", _SESSION, "code"),
        )
    }
    names = {name: {record["slug"] for record, _ in sections[name]} for name in ("rooms", "tracks", "people")}
    sessions = tuple(
        _session(record, at, raw["sessions"][index], event, names)
        for index, (record, at) in enumerate(sections["sessions"])
    )
    return EventDocument(
        raw=raw,
        event=event,
        rooms=tuple(record for record, _ in sections["rooms"]),
        tracks=tuple(record for record, _ in sections["tracks"]),
        people=tuple(record for record, _ in sections["people"]),
        sessions=sessions,
    )


# --- Database ------------------------------------------------------------------------------------


def session_guid(event_slug: str, code: str) -> uuid.UUID:
    """Stable across re-imports, so calendars and feeds keep recognising a session."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"podium:{event_slug}:{code}")


def _slug_taken(document: EventDocument) -> EventFileError:
    at = _At("", 1).key(document.raw, "event").key(document.raw["event"], "slug")
    return at.error(f"an event called {_show(document.slug)} already exists")


def _id(row: Room | Track | Person | Session) -> int:
    assert row.id is not None, "flushed rows have ids"
    return row.id


async def _slug_exists(db: AsyncSession, slug: str) -> bool:
    return (await db.exec(select(col(Event.id)).where(col(Event.slug) == slug))).first() is not None


async def import_event(db: AsyncSession, *, document: EventDocument) -> Event:
    """Load ``document`` as a new event in one transaction: all of it, or nothing."""
    if await _slug_exists(db, document.slug):
        raise _slug_taken(document)
    try:
        event = Event(**document.event, version=1)
        db.add(event)
        await db.flush()
        assert event.id is not None
        rooms = {r["slug"]: Room(event_id=event.id, position=i, **r) for i, r in enumerate(document.rooms)}
        tracks = {t["slug"]: Track(event_id=event.id, position=i, **t) for i, t in enumerate(document.tracks)}
        people = {p["slug"]: Person(event_id=event.id, position=i, **p) for i, p in enumerate(document.people)}
        db.add_all([*rooms.values(), *tracks.values(), *people.values()])
        await db.flush()
        sessions = [
            Session(
                event_id=event.id,
                guid=session_guid(document.slug, entry.code),
                kind=entry.kind.value,
                room_id=_id(rooms[entry.room]),
                track_id=_id(tracks[entry.track]) if entry.track is not None else None,
                position=position,
                **{key: getattr(entry, key) for key in ("code", "title", "abstract", "start", "end", "language")},
            )
            for position, entry in enumerate(document.sessions)
        ]
        db.add_all(sessions)
        await db.flush()
        db.add_all(
            SessionSpeaker(session_id=_id(session), person_id=_id(people[slug]), position=position)
            for session, entry in zip(sessions, document.sessions, strict=True)
            for position, slug in enumerate(entry.speakers)
        )
        await db.commit()
    except IntegrityError:
        await db.rollback()
        if await _slug_exists(db, document.slug):  # another import won the race
            raise _slug_taken(document) from None
        raise
    except BaseException:
        await db.rollback()
        raise
    return event


def _fields(row: object, spec: dict[str, Check], **converted: Any) -> dict[str, Any]:
    """The file's keys for ``row``, in the spec's order; ``converted`` replaces values that need it."""
    return {key: converted[key] if key in converted else getattr(row, key) for key in spec}


async def export_event(db: AsyncSession, *, event: Event) -> dict[str, Any]:
    """``event`` in the "podium-event/1" format, every key present, lists in position order."""
    programme = await load_programme(db, event=event)
    zone = programme.zone
    views = sorted(programme.sessions, key=lambda view: (view.session.position, view.session.id or 0))
    dates = {"start_date": event.start_date.isoformat(), "end_date": event.end_date.isoformat()}
    return {
        "format": FORMAT,
        "event": _fields(event, _EVENT, languages=event.language_list, **dates),
        "rooms": [_fields(room, _ROOM) for room in programme.rooms],
        "tracks": [_fields(track, _TRACK) for track in programme.tracks],
        "people": [_fields(person, _PERSON) for person in programme.people],
        "sessions": [
            _fields(
                view.session,
                _SESSION,
                start=to_zone(view.session.start, zone).strftime(_TIME_FORMAT),
                end=to_zone(view.session.end, zone).strftime(_TIME_FORMAT),
                room=view.room.slug,
                track=view.track.slug if view.track is not None else None,
                speakers=[person.slug for person in view.speakers],
            )
            for view in views
        ],
    }


def dump_event_file(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
