"""The Podium event file ("podium-event/1"): parse and validate it, import it, export an event back to it.

Errors name the field path and the line it is on, so an organiser can fix a hand-edited file.
"""

from __future__ import annotations

import copy
import datetime as dt
import difflib
import json
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.agenda.file_checks import (
    LONG_TEXT,
    At,
    Check,
    EventFileError,
    capacity_field,
    choice_of,
    list_of,
    load_json,
    parsed_field,
    show,
    text_field,
    zone_field,
)
from server.agenda.kinds import default_kinds, event_kinds, is_default
from server.agenda.models import EventSessionKind, Person, Room, Session, SessionKind, SessionSpeaker, Track
from server.agenda.services import load_programme, to_zone
from server.agenda.texts import EVENT_FIELDS, KIND_FIELDS, ROOM_FIELDS, SESSION_FIELDS, TRACK_FIELDS
from server.events.models import Event

FORMAT = "podium-event/1"
DEMO_EVENT_FILE = Path(__file__).resolve().parent.parent / "demo" / "asian-dialogue-2021.json"
_TIME_FORMAT = "%Y-%m-%dT%H:%M"


_SLUG = text_field(pattern=r"[a-z0-9-]{1,64}", what="a slug (1 to 64 of a-z, 0-9 and -)")
_LANGUAGE = text_field(pattern=r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})?", what="a language code like en or zh-Hant")
_COUNTRY = text_field(pattern=r"[A-Z]{2}", what="a two-letter country code like CN", required=False)
_DATE = parsed_field(r"\d{4}-\d{2}-\d{2}", dt.date.fromisoformat, "a date like 2021-10-27")
_TIME = parsed_field(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}",
    lambda text: dt.datetime.strptime(text, _TIME_FORMAT),
    "a time; write the local time of the event like 2021-10-27T09:30, with no offset",
)


def _flag(value: Any, at: At) -> bool:
    if type(value) is not bool:
        raise at.error(f"expected true or false, not {show(value)}")
    return value


def _optional_slug(value: Any, at: At) -> str | None:
    return None if value is None else _SLUG(value, at)


_FORMAT = choice_of([FORMAT])
_TOP: dict[str, Check | None] = {
    "format": _FORMAT,
    "event": None,
    "rooms": None,
    "tracks": None,
    "kinds": None,
    "people": None,
    "sessions": None,
}
# Keys a file may leave out, and what it then means; the export leaves them out when they hold just that, so a
# file written before they existed comes back byte for byte. Without "kinds", the event has the six built-in kinds.
_OPTIONAL: dict[str, Any] = {"kinds": None, "streamed": False, "translations": {}}


def translations_field(fields: dict[str, int | None]) -> Check:
    """Texts in the event's other languages: {"ja": {"title": "…"}}; which languages the event offers is
    checked once the event is known (``_check_languages``)."""

    def check(value: Any, at: At) -> dict[str, dict[str, str]]:
        if not isinstance(value, dict):
            raise at.error(f"expected an object of languages, not {show(value)}")
        cleaned: dict[str, dict[str, str]] = {}
        for language, texts in value.items():
            where = at.key(value, language)
            _LANGUAGE(language, where)
            if not isinstance(texts, dict):
                raise where.error(f"expected an object of texts, not {show(texts)}")
            kept = {}
            for name, text in texts.items():
                if name not in fields:
                    raise where.key(texts, name).error(f"unknown field; translatable are {', '.join(fields)}")
                kept[name] = text_field(fields[name], required=False)(text, where.key(texts, name))
            kept = {name: text for name, text in kept.items() if text.strip()}
            if kept:
                cleaned[language] = kept
        return cleaned

    return check


def _check_languages(record: dict[str, Any], raw: dict[str, Any], at: At, languages: list[str]) -> None:
    for language in record.get("translations") or {}:
        if language not in languages[1:]:
            where = at.key(raw, "translations").key(raw["translations"], language)
            offered = ", ".join(languages[1:]) or "none (the event has one language)"
            raise where.error(f"{show(language)} is not one of the event's other languages ({offered})")


_EVENT: dict[str, Check] = {
    "slug": _SLUG,
    "title": text_field(300),
    "acronym": text_field(40, required=False),
    "description": text_field(LONG_TEXT, required=False),
    "timezone": zone_field,
    "start_date": _DATE,
    "end_date": _DATE,
    "venue": text_field(300, required=False),
    "city": text_field(120, required=False),
    "country": _COUNTRY,
    "languages": list_of(_LANGUAGE, at_least=1),
    "attendance": choice_of(["hybrid", "on-site", "online"]),
    "url": text_field(pattern=r"https?://[^\s]{1,490}", what="a web address starting with https://", required=False),
    "translations": translations_field(EVENT_FIELDS),
}
_ROOM = {
    "slug": _SLUG,
    "name": text_field(200),
    "description": text_field(LONG_TEXT, required=False),
    "capacity": capacity_field,
    "streamed": _flag,
    "translations": translations_field(ROOM_FIELDS),
}
_TRACK = {
    "slug": _SLUG,
    "name": text_field(200),
    "color": text_field(pattern=r"#[0-9a-fA-F]{6}", what="a colour like #2f855a"),
    "translations": translations_field(TRACK_FIELDS),
}
_KIND = {
    "slug": text_field(pattern=r"[a-z0-9-]{1,20}", what="a kind's slug (1 to 20 of a-z, 0-9 and -)"),
    "name": text_field(200),
    "color": text_field(pattern=r"#[0-9a-fA-F]{6}", what="a colour like #2f855a, or empty", required=False),
    "behaviour": choice_of([kind.value for kind in SessionKind]),
    "translations": translations_field(KIND_FIELDS),
}
_PERSON = {
    "slug": _SLUG,
    "name": text_field(200),
    "organisation": text_field(200, required=False),
    "country": _COUNTRY,
    "biography": text_field(LONG_TEXT, required=False),
}
_SESSION: dict[str, Check] = {
    "code": text_field(pattern=r"[A-Za-z0-9-]{1,64}", what="a session code (1 to 64 of A-Z, a-z, 0-9 and -)"),
    "title": text_field(300),
    "abstract": text_field(LONG_TEXT, required=False),
    "kind": text_field(pattern=r"[a-z0-9-]{1,20}", what="a kind of session"),
    "start": _TIME,
    "end": _TIME,
    "room": _SLUG,
    "track": _optional_slug,
    "language": _LANGUAGE,
    "speakers": list_of(_SLUG),
    "translations": translations_field(SESSION_FIELDS),
}


def _record(value: Any, at: At, spec: dict[str, Check | None] | dict[str, Check]) -> dict[str, Any]:
    """Checks one object against ``spec``: no unknown keys, none missing, each value valid."""
    if not isinstance(value, dict):
        raise at.error(f"expected an object, not {show(value)}")
    for key in value:
        if key not in spec:
            close = difflib.get_close_matches(key, list(spec), n=1)
            hint = f' (did you mean "{close[0]}"?)' if close else f"; expected {', '.join(spec)}"
            raise at.key(value, key).error(f"unknown field{hint}")
    for key in spec:
        if key not in value and key not in _OPTIONAL:
            raise at.key(value, key).error("this field is missing")
    return {
        key: (check(value[key], at.key(value, key)) if check else value[key])
        if key in value
        else copy.copy(_OPTIONAL[key])
        for key, check in spec.items()
    }


def _records(value: Any, at: At, spec: dict[str, Check], unique: str) -> list[tuple[dict[str, Any], At]]:
    """A list of records whose ``unique`` field is unique, each with where it is."""
    if not isinstance(value, list):
        raise at.error(f"expected a list, not {show(value)}")
    records: list[tuple[dict[str, Any], At]] = []
    seen: dict[str, At] = {}
    for index, entry in enumerate(value):
        where = at.item(value, index)
        record = _record(entry, where, spec)
        if record[unique] in seen:
            first = seen[record[unique]]
            key_at = where.key(entry, unique)
            raise key_at.error(f"{show(record[unique])} is already used by {first.path} (line {first.line})")
        seen[record[unique]] = where
        records.append((record, where))
    return records


# --- The document --------------------------------------------------------------------------------


@dataclass(frozen=True)
class SessionEntry:
    code: str
    title: str
    abstract: str
    kind: str  # the slug of one of the file's kinds (the built-in ones when it lists none)
    start: dt.datetime  # UTC, aware
    end: dt.datetime
    room: str
    track: str | None
    language: str
    speakers: tuple[str, ...]
    translations: dict[str, dict[str, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class EventDocument:
    """A validated event file. ``raw`` is the JSON as parsed; the rest is ready to become rows."""

    raw: dict[str, Any]
    event: dict[str, Any]  # Event columns
    rooms: tuple[dict[str, Any], ...]  # Room columns, in file order
    tracks: tuple[dict[str, Any], ...]
    kinds: tuple[dict[str, Any], ...] | None  # EventSessionKind columns; None: the built-in kinds
    people: tuple[dict[str, Any], ...]
    sessions: tuple[SessionEntry, ...]

    @property
    def slug(self) -> str:
        return str(self.event["slug"])


def _to_utc(local: dt.datetime, zone: ZoneInfo, at: At) -> dt.datetime:
    utc = local.replace(tzinfo=zone).astimezone(dt.UTC)
    if utc.astimezone(zone).replace(tzinfo=None) != local:
        raise at.error(f'"{local.strftime(_TIME_FORMAT)}" does not exist in {zone.key}: the clocks skip it')
    return utc


def _session(
    record: dict[str, Any],
    at: At,
    raw: dict[str, Any],
    event: dict[str, Any],
    names: dict[str, set[str]],
    kinds: list[str],
) -> SessionEntry:
    zone = ZoneInfo(event["timezone"])
    start, end = (_to_utc(record[key], zone, at.key(raw, key)) for key in ("start", "end"))
    if end <= start:
        raise at.key(raw, "end").error(f"{show(raw['end'])} is not after the start, {show(raw['start'])}")
    for key in ("start", "end"):
        if not event["start_date"] <= record[key].date() <= event["end_date"]:
            span = f"{event['start_date']} to {event['end_date']}"
            raise at.key(raw, key).error(f"{show(raw[key])} is outside the event's dates, {span}")
    _check_languages(record, raw, at, event["languages"].split(","))
    if record["language"] not in event["languages"].split(","):
        raise at.key(raw, "language").error(f"{show(record['language'])} is not one of the event's languages")
    if record["kind"] not in kinds:
        raise at.key(raw, "kind").error(f"{show(record['kind'])} is not one of {', '.join(kinds)}")
    for key, section in (("room", "rooms"), ("track", "tracks")):
        if record[key] is not None and record[key] not in names[section]:
            raise at.key(raw, key).error(f'there is no {key} {show(record[key])} in "{section}"')
    for index, slug in enumerate(record["speakers"]):
        if slug not in names["people"]:
            raise at.key(raw, "speakers").item(raw["speakers"], index).error(f'there is no person "{slug}" in "people"')
    return SessionEntry(**{**record, "start": start, "end": end})


def check_session(raw: Any, *, event: Event, names: dict[str, set[str]], kinds: list[str], at: At) -> SessionEntry:
    """One session in the file's shape, checked by the file's rules against ``event`` and the slugs in ``names``
    ("rooms", "tracks", "people"): what the API's session writes accept."""
    record = _record(raw, at, _SESSION)
    fields = {
        "timezone": event.timezone,
        "start_date": event.start_date,
        "end_date": event.end_date,
        "languages": event.languages,
    }
    return _session(record, at, raw, fields, names, kinds)


def check_person(raw: Any, *, at: At) -> dict[str, Any]:
    """One person in the file's shape (slug, name, organisation, country, biography), checked by its rules."""
    return _record(raw, at, _PERSON)


def session_fields(
    session: Session, *, zone: ZoneInfo, room: str, track: str | None, speakers: list[str]
) -> dict[str, Any]:
    """A session in the file's shape, with its times in the event's zone."""
    return _fields(
        session,
        _SESSION,
        start=to_zone(session.start, zone).strftime(_TIME_FORMAT),
        end=to_zone(session.end, zone).strftime(_TIME_FORMAT),
        room=room,
        track=track,
        speakers=speakers,
    )


def parse_event_file(text: str) -> EventDocument:
    """Parse and validate a "podium-event/1" file; the first problem found raises EventFileError."""
    raw = load_json(text)
    root = At("", 1)
    if isinstance(raw, dict) and "format" in raw:  # a newer format should say so, not list its new keys
        _FORMAT(raw["format"], root.key(raw, "format"))
    top = _record(raw, root, _TOP)
    event_at = root.key(raw, "event")
    event = _record(top["event"], event_at, _EVENT)
    if event["end_date"] < event["start_date"]:
        dates = f"{show(raw['event']['end_date'])} is before the start_date, {show(raw['event']['start_date'])}"
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
    kinds = None
    if top["kinds"] is not None:
        kind_records = _records(raw["kinds"], root.key(raw, "kinds"), _KIND, "slug")
        for index, (record, at) in enumerate(kind_records):
            _check_languages(record, raw["kinds"][index], at, event["languages"].split(","))
        kinds = tuple(record for record, _ in kind_records)
    _check_languages(event, raw["event"], event_at, event["languages"].split(","))
    for name in ("rooms", "tracks"):
        for index, (record, at) in enumerate(sections[name]):
            _check_languages(record, raw[name][index], at, event["languages"].split(","))
    names = {name: {record["slug"] for record, _ in sections[name]} for name in ("rooms", "tracks", "people")}
    kind_slugs = [kind["slug"] for kind in kinds] if kinds is not None else [kind.value for kind in SessionKind]
    sessions = tuple(
        _session(record, at, raw["sessions"][index], event, names, kind_slugs)
        for index, (record, at) in enumerate(sections["sessions"])
    )
    return EventDocument(
        raw=raw,
        event=event,
        rooms=tuple(record for record, _ in sections["rooms"]),
        tracks=tuple(record for record, _ in sections["tracks"]),
        kinds=kinds,
        people=tuple(record for record, _ in sections["people"]),
        sessions=sessions,
    )


# --- Database ------------------------------------------------------------------------------------


def session_guid(event_slug: str, code: str) -> uuid.UUID:
    """Stable across re-imports, so calendars and feeds keep recognising a session."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"podium:{event_slug}:{code}")


def _slug_taken(document: EventDocument) -> EventFileError:
    at = At("", 1).key(document.raw, "event").key(document.raw["event"], "slug")
    return at.error(f"an event called {show(document.slug)} already exists")


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
        kinds = (
            [EventSessionKind(event_id=event.id, position=i, **k) for i, k in enumerate(document.kinds)]
            if document.kinds is not None
            else default_kinds(event.id)
        )
        db.add_all([*rooms.values(), *tracks.values(), *kinds, *people.values()])
        await db.flush()
        sessions = [
            Session(
                event_id=event.id,
                guid=session_guid(document.slug, entry.code),
                kind=entry.kind,
                room_id=_id(rooms[entry.room]),
                track_id=_id(tracks[entry.track]) if entry.track is not None else None,
                position=position,
                **{
                    key: getattr(entry, key)
                    for key in ("code", "title", "abstract", "start", "end", "language", "translations")
                },
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
    """The file's keys for ``row``, in the spec's order (an optional key left out when it holds its default);
    ``converted`` replaces values that need it."""
    values = {key: converted[key] if key in converted else getattr(row, key) for key in spec}
    return {key: value for key, value in values.items() if key not in _OPTIONAL or value != _OPTIONAL[key]}


async def export_event(db: AsyncSession, *, event: Event) -> dict[str, Any]:
    """``event`` in the "podium-event/1" format, every key present, lists in position order."""
    programme = await load_programme(db, event=event)
    zone = programme.zone
    views = sorted(programme.sessions, key=lambda view: (view.session.position, view.session.id or 0))
    dates = {"start_date": event.start_date.isoformat(), "end_date": event.end_date.isoformat()}
    kinds = await event_kinds(db, event_id=event.id or 0)
    return {
        "format": FORMAT,
        "event": _fields(event, _EVENT, languages=event.language_list, **dates),
        "rooms": [_fields(room, _ROOM) for room in programme.rooms],
        "tracks": [_fields(track, _TRACK) for track in programme.tracks],
        **({} if is_default(kinds) else {"kinds": [_fields(kind, _KIND) for kind in kinds]}),
        "people": [_fields(person, _PERSON) for person in programme.people],
        "sessions": [
            session_fields(
                view.session,
                zone=zone,
                room=view.room.slug,
                track=view.track.slug if view.track is not None else None,
                speakers=[person.slug for person in view.speakers],
            )
            for view in views
        ],
    }


def dump_event_file(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
