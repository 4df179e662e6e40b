"""The "podium-event/1" file: validation with exact messages and lines, all-or-nothing import, lossless export."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import uuid
from collections import defaultdict

import pytest
from sqlmodel import SQLModel, col, func, select

from server.agenda.interchange import (
    DEMO_EVENT_FILE,
    EventFileError,
    dump_event_file,
    export_event,
    import_event,
    parse_event_file,
)
from server.agenda.kinds import session_kind_choices
from server.agenda.models import Person, Room, Session, SessionKind, SessionSpeaker, Track
from server.agenda.services import load_programme
from server.db import Database
from server.events.models import Event
from server.events.services import get_event

pytestmark = pytest.mark.integration
BOTH_BACKENDS = pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)

# Compact on purpose: the line numbers in the expected messages below can be read off this text.
TINY = """\
{
  "format": "podium-event/1",
  "event": {
    "slug": "tiny", "title": "Tiny Symposium", "acronym": "TS", "description": "", "timezone": "Asia/Shanghai",
    "start_date": "2021-10-27", "end_date": "2021-10-28", "venue": "", "city": "Beijing", "country": "CN",
    "languages": ["en", "zh"], "attendance": "hybrid", "url": ""
  },
  "rooms": [
    {"slug": "hall", "name": "Hall", "description": "", "capacity": 100},
    {"slug": "studio", "name": "Studio", "description": "", "capacity": 0}
  ],
  "tracks": [{"slug": "craft", "name": "Craft", "color": "#2f855a"}],
  "people": [
    {"slug": "ana", "name": "Ana Lim", "organisation": "", "country": "SG", "biography": ""},
    {"slug": "bo", "name": "Bo Chen", "organisation": "", "country": "CN", "biography": ""}
  ],
  "sessions": [
    {
      "code": "OPEN", "title": "Opening", "abstract": "", "kind": "ceremony",
      "start": "2021-10-27T09:00", "end": "2021-10-27T09:30",
      "room": "hall", "track": null, "language": "en", "speakers": ["ana"]
    },
    {
      "code": "TALK", "title": "Talk", "abstract": "", "kind": "parallel",
      "start": "2021-10-27T10:00", "end": "2021-10-27T11:00",
      "room": "studio", "track": "craft", "language": "zh", "speakers": ["ana", "bo"]
    }
  ]
}
"""

TABLES: tuple[type[SQLModel], ...] = (Event, Room, Track, Person, Session, SessionSpeaker)


def edited(*replacements: tuple[str, str]) -> str:
    text = TINY
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new)
    return text


async def row_counts(database: Database) -> dict[str, int]:
    async with database.session() as db:
        return {table.__name__: (await db.exec(select(func.count()).select_from(table))).one() for table in TABLES}


EMPTY = {"Event": 0, "Room": 0, "Track": 0, "Person": 0, "Session": 0, "SessionSpeaker": 0}
TINY_COUNTS = {"Event": 1, "Room": 2, "Track": 1, "Person": 2, "Session": 2, "SessionSpeaker": 3}


# --- The demo event -------------------------------------------------------------------------------


def test_demo_file_parses() -> None:
    document = parse_event_file(DEMO_EVENT_FILE.read_text(encoding="utf-8"))

    assert document.slug == "asian-dialogue-2021"
    assert document.event["languages"] == "en,zh"
    assert (len(document.rooms), len(document.tracks), len(document.people), len(document.sessions)) == (6, 3, 33, 44)
    opening = document.sessions[0]
    assert (opening.code, opening.kind, opening.title) == ("OPEN", SessionKind.ceremony, "Opening Ceremony / 开幕式")
    assert opening.start == dt.datetime(2021, 10, 27, 1, 0, tzinfo=dt.UTC)


@BOTH_BACKENDS
async def test_demo_round_trip_is_lossless(database: Database) -> None:
    text = DEMO_EVENT_FILE.read_text(encoding="utf-8")

    async with database.session() as db:
        await import_event(db, document=parse_event_file(text))
    async with database.session() as db:
        exported = dump_event_file(await export_event(db, event=await get_event(db, slug="asian-dialogue-2021")))

    assert exported == text


async def test_demo_import_writes_every_row(database: Database, demo_event: str) -> None:
    assert await row_counts(database) == {
        "Event": 1,
        "Room": 6,
        "Track": 3,
        "Person": 33,
        "Session": 44,
        "SessionSpeaker": 87,
    }
    async with database.session() as db:
        event = await get_event(db, slug=demo_event)
        opening = (await db.exec(select(Session).where(Session.code == "OPEN"))).one()
        rooms = (await db.exec(select(Room).order_by(col(Room.position)))).all()

    assert (event.version, event.timezone, event.languages) == (1, "Asia/Shanghai", "en,zh")
    assert opening.guid == uuid.uuid5(uuid.NAMESPACE_URL, "podium:asian-dialogue-2021:OPEN")
    assert (opening.start, opening.end) == (
        dt.datetime(2021, 10, 27, 1, 0, tzinfo=dt.UTC),
        dt.datetime(2021, 10, 27, 1, 30, tzinfo=dt.UTC),
    )
    assert opening.position == 0
    assert [(room.slug, room.capacity, room.position) for room in rooms] == [
        ("plenary-hall", 600, 0),
        ("jade-room", 180, 1),
        ("silk-road-room", 150, 2),
        ("lotus-room", 120, 3),
        ("exhibition-hall", 250, 4),
        ("online-studio", 0, 5),
    ]


async def test_demo_runs_three_parallel_sessions_at_once_on_each_day(database: Database, demo_event: str) -> None:
    async with database.session() as db:
        programme = await load_programme(db, event=await get_event(db, slug=demo_event))
    parallel = [view for view in programme.sessions if view.session.kind == SessionKind.parallel]
    widest: dict[dt.date, int] = defaultdict(int)

    for view in parallel:
        running = {
            other.room.slug for other in parallel if other.session.start <= view.session.start < other.session.end
        }
        day = view.local_start(programme.zone).date()
        widest[day] = max(widest[day], len(running))

    assert dict(widest) == {dt.date(2021, 10, 27): 3, dt.date(2021, 10, 28): 3}
    assert {view.track.slug for view in parallel if view.track} == {
        "sustainable-development",
        "exchange-mutual-learning",
        "future-challenges",
    }


# --- Malformed files -------------------------------------------------------------------------------

MALFORMED = {
    "bad json": (
        [('"title": "Talk", "abstract"', '"title": "Talk" "abstract"')],
        "This is not valid JSON: line 24, column 39: Expecting ',' delimiter",
    ),
    "duplicate key": (
        [('"title": "Talk",', '"title": "Talk", "title": "Talk",')],
        'This is not valid JSON: line 24, column 49: Duplicate key "title"',
    ),
    "unknown key": (
        [('"title": "Talk"', '"titel": "Talk"')],
        'sessions[1].titel (line 24): unknown field (did you mean "title"?)',
    ),
    "missing field": (
        [('"title": "Talk", "abstract": "",', '"title": "Talk",')],
        "sessions[1].abstract (line 23): this field is missing",
    ),
    "bad time": (
        [('"end": "2021-10-27T11:00"', '"end": "2021-10-27T25:00"')],
        'sessions[1].end (line 25): "2021-10-27T25:00" is not a time; '
        "write the local time of the event like 2021-10-27T09:30, with no offset",
    ),
    "time with an offset": (
        [('"start": "2021-10-27T10:00"', '"start": "2021-10-27T10:00+08:00"')],
        'sessions[1].start (line 25): "2021-10-27T10:00+08:00" is not a time; '
        "write the local time of the event like 2021-10-27T09:30, with no offset",
    ),
    "end before start": (
        [('"end": "2021-10-27T11:00"', '"end": "2021-10-27T09:59"')],
        'sessions[1].end (line 25): "2021-10-27T09:59" is not after the start, "2021-10-27T10:00"',
    ),
    "outside the event's dates": (
        [('"start": "2021-10-27T09:00"', '"start": "2021-10-26T09:00"')],
        'sessions[0].start (line 20): "2021-10-26T09:00" is outside the event\'s dates, 2021-10-27 to 2021-10-28',
    ),
    "unknown room": (
        [('"room": "studio"', '"room": "attic"')],
        'sessions[1].room (line 26): there is no room "attic" in "rooms"',
    ),
    "unknown track": (
        [('"track": "craft"', '"track": "paint"')],
        'sessions[1].track (line 26): there is no track "paint" in "tracks"',
    ),
    "unknown speaker": (
        [('["ana", "bo"]', '["ana", "cy"]')],
        'sessions[1].speakers[1] (line 26): there is no person "cy" in "people"',
    ),
    "speaker twice": (
        [('["ana", "bo"]', '["ana", "ana"]')],
        'sessions[1].speakers[1] (line 26): "ana" is listed twice',
    ),
    "duplicate code": (
        [('"code": "TALK"', '"code": "OPEN"')],
        'sessions[1].code (line 24): "OPEN" is already used by sessions[0] (line 18)',
    ),
    "duplicate room": (
        [('"slug": "studio"', '"slug": "hall"'), ('"room": "studio"', '"room": "hall"')],
        'rooms[1].slug (line 10): "hall" is already used by rooms[0] (line 9)',
    ),
    "unknown time zone": (
        [('"Asia/Shanghai"', '"Asia/Shangai"')],
        'event.timezone (line 4): "Asia/Shangai" is not a known time zone; use an IANA name like Asia/Shanghai',
    ),
    "language the event does not hold": (
        [('"language": "zh"', '"language": "fr"')],
        'sessions[1].language (line 26): "fr" is not one of the event\'s languages',
    ),
    "negative capacity": (
        [('"capacity": 0', '"capacity": -1')],
        "rooms[1].capacity (line 10): expected a whole number of seats from 0 to 1000000, not -1",
    ),
    "capacity as text": (
        [('"capacity": 0', '"capacity": "0"')],
        'rooms[1].capacity (line 10): expected a whole number of seats from 0 to 1000000, not "0"',
    ),
    "slug in capitals": (
        [('"slug": "tiny"', '"slug": "Tiny"')],
        'event.slug (line 4): "Tiny" is not a slug (1 to 64 of a-z, 0-9 and -)',
    ),
    "title too long": (
        [('"title": "Talk"', f'"title": "{"x" * 301}"')],
        "sessions[1].title (line 24): is 301 characters long; 300 at most",
    ),
    "empty title": (
        [('"title": "Talk"', '"title": " "')],
        "sessions[1].title (line 24): must not be empty",
    ),
    "unknown kind": (
        [('"kind": "parallel"', '"kind": "keynote"')],
        'sessions[1].kind (line 24): "keynote" is not one of plenary, parallel, ceremony, video-address, '
        "exhibition, break",
    ),
    "bad colour": (
        [('"#2f855a"', '"green"')],
        'tracks[0].color (line 12): "green" is not a colour like #2f855a',
    ),
    "event ends before it starts": (
        [('"end_date": "2021-10-28"', '"end_date": "2021-10-26"')],
        'event.end_date (line 5): "2021-10-26" is before the start_date, "2021-10-27"',
    ),
    "control character in text": (
        [('"name": "Hall"', '"name": "Ha\tll"')],
        "This is not valid JSON: line 9, column 33: Invalid control character",
    ),
    "newer format": (
        [('"podium-event/1"', '"podium-event/2"'), ('"tracks": [', '"themes": [')],
        'format (line 2): "podium-event/2" is not one of podium-event/1',
    ),
    "rooms not a list": (
        [('"tracks": [{"slug": "craft", "name": "Craft", "color": "#2f855a"}]', '"tracks": {}')],
        "tracks (line 12): expected a list, not an object",
    ),
    "clocks skip the time": (
        [
            ('"Asia/Shanghai"', '"Europe/Berlin"'),
            ("2021-10-27", "2021-03-28"),
            ("2021-10-28", "2021-03-29"),
            ("T09:00", "T02:30"),
        ],
        'sessions[0].start (line 20): "2021-03-28T02:30" does not exist in Europe/Berlin: the clocks skip it',
    ),
    "the first day of the calendar": (
        [("2021-10-27", "0001-01-01"), ("2021-10-28", "0001-01-01")],
        'event.start_date (line 5): "0001-01-01" is outside the years 1900 to 2999',
    ),
    "a session in the year 1": (
        [('"start": "2021-10-27T09:00"', '"start": "0001-01-01T00:00"')],
        'sessions[0].start (line 20): "0001-01-01T00:00" is outside the years 1900 to 2999',
    ),
    "a session at the end of the calendar": (
        [('"end": "2021-10-27T11:00"', '"end": "9999-12-31T23:59"')],
        'sessions[1].end (line 25): "9999-12-31T23:59" is outside the years 1900 to 2999',
    ),
    "a five-megabyte abstract": (
        [('"abstract": "", "kind": "parallel"', f'"abstract": "{"x" * 5_000_000}", "kind": "parallel"')],
        "sessions[1].abstract (line 24): is 5000000 characters long; 20000 at most",
    ),
    "a long biography": (
        [('"country": "CN", "biography": ""', f'"country": "CN", "biography": "{"x" * 20_001}"')],
        "people[1].biography (line 15): is 20001 characters long; 20000 at most",
    ),
    "a long event description": (
        [('"description": "", "timezone"', f'"description": "{"x" * 20_001}", "timezone"')],
        "event.description (line 4): is 20001 characters long; 20000 at most",
    ),
    "a long room description": (
        [('"name": "Studio", "description": ""', f'"name": "Studio", "description": "{"x" * 20_001}"')],
        "rooms[1].description (line 10): is 20001 characters long; 20000 at most",
    ),
    "a NUL character": (
        [('"title": "Talk"', '"title": "Ta\\u0000lk"')],
        "sessions[1].title (line 24): contains a NUL character (or a lone surrogate), which Podium cannot store",
    ),
    "a lone surrogate": (
        [('"name": "Bo Chen"', '"name": "Bo \\ud800Chen"')],
        "people[1].name (line 15): contains a NUL character (or a lone surrogate), which Podium cannot store",
    ),
    "not an object": ([(TINY, "[]")], "the file (line 1): expected an object, not a list"),
    "trailing data": (
        [(TINY, TINY + "{}")],
        "This is not valid JSON: line 30, column 1: Extra data",
    ),
}


@pytest.mark.parametrize("case", list(MALFORMED))
async def test_malformed_file_is_refused_with_path_and_line(database: Database, case: str) -> None:
    replacements, message = MALFORMED[case]
    text = edited(*replacements)

    with pytest.raises(EventFileError) as caught:
        document = parse_event_file(text)
        async with database.session() as db:
            await import_event(db, document=document)

    assert caught.value.message == message
    assert await row_counts(database) == EMPTY


@BOTH_BACKENDS
@pytest.mark.parametrize("case", ["a NUL character", "a lone surrogate", "the first day of the calendar"])
async def test_text_or_dates_no_database_holds_are_refused_before_importing(database: Database, case: str) -> None:
    replacements, message = MALFORMED[case]

    with pytest.raises(EventFileError) as caught:
        document = parse_event_file(edited(*replacements))
        async with database.session() as db:
            await import_event(db, document=document)

    assert caught.value.message == message
    assert await row_counts(database) == EMPTY


def test_tiny_file_is_valid_before_editing() -> None:
    document = parse_event_file(TINY)

    assert document.raw == json.loads(TINY)
    assert [entry.track for entry in document.sessions] == [None, "craft"]


# --- Importing --------------------------------------------------------------------------------------


@BOTH_BACKENDS
async def test_import_same_slug_twice_is_refused(database: Database) -> None:
    document = parse_event_file(TINY)
    async with database.session() as db:
        await import_event(db, document=document)

    with pytest.raises(EventFileError) as caught:
        async with database.session() as db:
            await import_event(db, document=document)

    assert caught.value.message == 'event.slug (line 4): an event called "tiny" already exists'
    assert await row_counts(database) == TINY_COUNTS


@BOTH_BACKENDS
async def test_import_failing_midway_loads_nothing(database: Database) -> None:
    # A room no file could name: the event and its rooms are flushed before the sessions fail.
    document = parse_event_file(TINY)
    broken = dataclasses.replace(document.sessions[1], room="attic")
    document = dataclasses.replace(document, sessions=(document.sessions[0], broken))

    with pytest.raises(KeyError):
        async with database.session() as db:
            await import_event(db, document=document)

    assert await row_counts(database) == EMPTY


async def test_export_returns_what_was_imported(database: Database) -> None:
    async with database.session() as db:
        event = await import_event(db, document=parse_event_file(TINY))
    async with database.session() as db:
        exported = await export_event(db, event=event)

    assert exported == json.loads(TINY)
    assert list(exported) == ["format", "event", "rooms", "tracks", "people", "sessions"]


# --- Kinds of session and streamed rooms ---------------------------------------------------------------------

WITH_KINDS = edited(
    ('"capacity": 100}', '"capacity": 100, "streamed": true}'),
    (
        '  "tracks": [{"slug": "craft", "name": "Craft", "color": "#2f855a"}],\n',
        '  "tracks": [{"slug": "craft", "name": "Craft", "color": "#2f855a"}],\n'
        '  "kinds": [\n'
        '    {"slug": "ceremony", "name": "Ceremony", "color": "#aa3300", "behaviour": "ceremony"},\n'
        '    {"slug": "workshop", "name": "Workshop", "color": "", "behaviour": "parallel"}\n'
        "  ],\n",
    ),
    ('"kind": "parallel"', '"kind": "workshop"'),
)


@BOTH_BACKENDS
async def test_file_with_its_own_kinds_and_a_streamed_room_comes_back_byte_for_byte(database: Database) -> None:
    text = dump_event_file(json.loads(WITH_KINDS))

    async with database.session() as db:
        event = await import_event(db, document=parse_event_file(text))
    async with database.session() as db:
        exported = dump_event_file(await export_event(db, event=event))
        choices = await session_kind_choices(db, event)

    assert exported == text
    assert choices == [("ceremony", "Ceremony"), ("workshop", "Workshop")]


async def test_file_without_kinds_gives_the_event_the_six_built_in_ones(database: Database) -> None:
    async with database.session() as db:
        event = await import_event(db, document=parse_event_file(TINY))
    async with database.session() as db:
        choices = await session_kind_choices(db, event)

    assert [slug for slug, _name in choices] == [
        "plenary",
        "parallel",
        "ceremony",
        "video-address",
        "exhibition",
        "break",
    ]


def test_session_of_a_kind_the_file_does_not_list_is_refused() -> None:
    with pytest.raises(EventFileError) as caught:
        parse_event_file(WITH_KINDS.replace('"kind": "ceremony"', '"kind": "plenary"'))

    assert caught.value.message.endswith('"plenary" is not one of ceremony, workshop')
