"""Agenda exports: frab schedule.xml / schedule.json against their schemas, iCalendar round trips."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from zoneinfo import ZoneInfo

import httpx
import icalendar
import jsonschema
import pytest
from lxml import etree

from server.agenda import frab
from server.agenda.models import Person, Room, Session, Track
from server.agenda.services import Programme, SessionView, load_programme
from server.app import site_urls
from server.db import Database
from server.events.models import Event
from server.events.services import get_event
from tests.support.standards import frab_json_errors, frab_json_schema, frab_xml_schema

pytestmark = pytest.mark.integration

BASE_URL = "http://127.0.0.1:8000"
# The demo's first parallel slot, 13:30 on the first day, is held in these three rooms.
PARALLEL_ROOMS = {"Jade Room", "Silk Road Room", "Lotus Room"}


async def programme_of(database: Database, slug: str) -> Programme:
    async with database.session() as db:
        event = await get_event(db, slug=slug)
        return await load_programme(db, event=event)


def rooms_per_slot(slots: list[tuple[str, str, str]]) -> dict[tuple[str, str], set[str]]:
    """(day, start, room) triples → the rooms each (day, start) slot is held in."""
    rooms: dict[tuple[str, str], set[str]] = defaultdict(set)
    for day, start, room in slots:
        rooms[(day, start)].add(room)
    return rooms


# schedule.xml


async def test_schedule_xml_validates_against_the_frab_xsd(client: httpx.AsyncClient, demo_event: str) -> None:
    response = await client.get(f"/{demo_event}/schedule.xml")

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/xml"
    schema = frab_xml_schema()
    document = etree.fromstring(response.content)
    assert schema.validate(document), schema.error_log


async def test_schedule_xml_has_one_event_per_session(
    client: httpx.AsyncClient, database: Database, demo_event: str
) -> None:
    programme = await programme_of(database, demo_event)

    document = etree.fromstring((await client.get(f"/{demo_event}/schedule.xml")).content)

    guids = [event.get("guid") for event in document.iterfind("day/room/event")]
    assert sorted(guids) == sorted(str(view.session.guid) for view in programme.sessions)
    days = [day.get("date") for day in document.iterfind("day")]
    assert days == [day.isoformat() for day in programme.event.days]


async def test_schedule_xml_puts_a_parallel_slot_under_three_rooms_of_one_day(
    client: httpx.AsyncClient, demo_event: str
) -> None:
    document = etree.fromstring((await client.get(f"/{demo_event}/schedule.xml")).content)

    slots = [
        (day.get("date"), event.findtext("date"), room.get("name"))
        for day in document.iterfind("day")
        for room in day.iterfind("room")
        for event in room.iterfind("event")
        if event.findtext("type") == "parallel"
    ]
    rooms = rooms_per_slot(slots)
    assert rooms[("2021-10-27", "2021-10-27T13:30:00+08:00")] == PARALLEL_ROOMS
    assert max(len(names) for names in rooms.values()) == 3


# schedule.json


async def test_schedule_json_validates_against_the_frab_schema(client: httpx.AsyncClient, demo_event: str) -> None:
    response = await client.get(f"/{demo_event}/schedule.json")

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert frab_json_errors(response.json()) == []


async def test_schedule_json_has_one_event_per_session_on_midnight_days(
    client: httpx.AsyncClient, database: Database, demo_event: str
) -> None:
    programme = await programme_of(database, demo_event)

    conference = (await client.get(f"/{demo_event}/schedule.json")).json()["schedule"]["conference"]

    events = [event for day in conference["days"] for talks in day["rooms"].values() for event in talks]
    assert sorted(event["guid"] for event in events) == sorted(str(view.session.guid) for view in programme.sessions)
    first = conference["days"][0]
    assert (first["day_start"], first["day_end"]) == (
        f"{first['date']}T00:00:00+08:00",
        f"{first['date']}T23:59:59+08:00",
    )
    codes = {str(view.session.guid): view.session.code for view in programme.sessions}
    for event in events:
        assert dt.datetime.fromisoformat(event["date"]).utcoffset() == dt.timedelta(hours=8)
        assert event["url"] == f"{BASE_URL}/{demo_event}/sessions/{codes[event['guid']]}"


async def test_schedule_json_puts_a_parallel_slot_under_three_rooms_of_one_day(
    client: httpx.AsyncClient, demo_event: str
) -> None:
    conference = (await client.get(f"/{demo_event}/schedule.json")).json()["schedule"]["conference"]

    slots = [
        (day["date"], event["date"], room)
        for day in conference["days"]
        for room, events in day["rooms"].items()
        for event in events
        if event["type"] == "parallel"
    ]
    rooms = rooms_per_slot(slots)
    assert rooms[("2021-10-27", "2021-10-27T13:30:00+08:00")] == PARALLEL_ROOMS
    assert max(len(names) for names in rooms.values()) == 3


@pytest.mark.unit
def test_frab_export_copes_with_unicode_titles_and_control_characters() -> None:
    zone = "Asia/Shanghai"
    event = Event(
        id=1,
        slug="ab",
        title="对话",
        timezone=zone,
        start_date=dt.date(2021, 10, 27),
        end_date=dt.date(2021, 10, 27),
    )
    room = Room(id=1, event_id=1, slug="main", name="主会场")
    track = Track(id=1, event_id=1, slug="Bad Slug", name="Trade", color="red")
    person = Person(id=1, event_id=1, slug="p", name="李\x0b华")
    start = dt.datetime(2021, 10, 27, 1, 0, tzinfo=dt.UTC)
    session = Session(
        id=7,
        event_id=1,
        code="x-1",
        guid=uuid.uuid4(),
        title="开幕式",
        abstract="bell\x07",
        kind="ceremony",
        start=start,
        end=start + dt.timedelta(minutes=45),
        room_id=1,
        track_id=1,
    )
    view = SessionView(session=session, room=room, track=track, speakers=(person,))
    programme = Programme(
        event=event, rooms=(room,), tracks=(track,), people=(person,), sessions=(view,), by_code={"x-1": view}
    )

    document = etree.fromstring(frab.schedule_xml(programme, links=site_urls(BASE_URL)))
    data = frab.schedule_json(programme, links=site_urls(BASE_URL))

    schema = frab_xml_schema()
    assert schema.validate(document), schema.error_log
    assert document.findtext("day/room/event/abstract") == "bell"
    assert document.findtext("day/room/event/start") == "09:00"
    assert jsonschema.Draft6Validator(frab_json_schema()).is_valid(data)
    assert data["schedule"]["conference"]["acronym"] == "ab__"
    assert data["schedule"]["conference"]["days"][0]["rooms"]["主会场"][0]["slug"] == "ab__-7"
    assert ZoneInfo(data["schedule"]["conference"]["time_zone_name"]) == ZoneInfo(zone)


# iCalendar


async def test_session_ics_is_in_the_event_time_zone(
    client: httpx.AsyncClient, database: Database, demo_event: str
) -> None:
    programme = await programme_of(database, demo_event)
    code = "OPEN"
    view = programme.session(code)

    response = await client.get(f"/{demo_event}/sessions/{code}.ics")

    assert response.status_code == 200
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    assert response.headers["content-disposition"] == f'attachment; filename="{demo_event}-{code}.ics"'
    calendar = icalendar.Calendar.from_ical(response.content)
    assert [zone["TZID"] for zone in calendar.walk("VTIMEZONE")] == ["Asia/Shanghai"]
    (component,) = calendar.events
    assert component["DTSTART"].params["TZID"] == "Asia/Shanghai"
    assert component["DTSTART"].dt == dt.datetime(2021, 10, 27, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert component["DTEND"].dt == dt.datetime(2021, 10, 27, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert str(component["SUMMARY"]) == view.session.title
    assert str(component["UID"]) == f"{view.session.guid}@podium"
    assert str(component["URL"]) == f"{BASE_URL}/{demo_event}/sessions/{code}"
    assert str(component["LOCATION"]).startswith(view.room.name)


async def test_event_ics_has_one_vevent_per_session_with_stable_uids(
    client: httpx.AsyncClient, database: Database, demo_event: str
) -> None:
    programme = await programme_of(database, demo_event)

    first = await client.get(f"/{demo_event}/schedule.ics")
    second = await client.get(f"/{demo_event}/schedule.ics")

    assert first.headers["content-disposition"] == f'attachment; filename="{demo_event}.ics"'
    calendars = [icalendar.Calendar.from_ical(response.content) for response in (first, second)]
    uids = [[str(component["UID"]) for component in calendar.events] for calendar in calendars]
    assert uids[0] == uids[1]
    assert sorted(uids[0]) == sorted(f"{view.session.guid}@podium" for view in programme.sessions)
    assert str(calendars[0]["X-WR-CALNAME"]) == programme.event.title
    assert all(component["DTSTART"].params["TZID"] == "Asia/Shanghai" for component in calendars[0].events)
    assert all(
        str(component["URL"]).startswith(f"{BASE_URL}/{demo_event}/sessions/") for component in calendars[0].events
    )


@pytest.mark.parametrize(
    "path",
    [
        "/no-such-event/schedule.ics",
        "/no-such-event/schedule.xml",
        "/no-such-event/schedule.json",
        "/no-such-event/sessions/ABC.ics",
        "/{slug}/sessions/NO-SUCH-SESSION.ics",
    ],
)
async def test_export_of_unknown_event_or_session_is_not_found(
    client: httpx.AsyncClient, demo_event: str, path: str
) -> None:
    response = await client.get(path.format(slug=demo_event))

    assert response.status_code == 404
