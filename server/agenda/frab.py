"""The frab schedule (``schedule.xml`` and ``schedule.json``) that conference apps and video teams read.

Days run from midnight to midnight in the event's time zone, the same days the agenda page filters by,
so a session is never on one day in the app and another on the website.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
import uuid
import xml.etree.ElementTree as ET  # noqa: S405 (only builds XML, never parses it)
from dataclasses import dataclass
from typing import Any

from server.agenda.models import Person, Room, Track
from server.agenda.services import Programme, SessionView
from server.events.models import Event
from server.i18n import localised
from server.links import Links

GENERATOR = "podium"
JSON_SCHEMA_URL = "https://c3voc.de/schedule/schema.json"
TIMESLOT = "00:05"
# Names for rooms and people that have no UUID of their own; stable across exports.
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:podium:frab")

# Patterns from the schemas, checked before an optional value is written.
CODE_PATTERN = re.compile(r"[0-9A-Z]{6}")
JSON_CODE_PATTERN = re.compile(r"[A-Z0-9]+")
XML_SLUG_PATTERN = re.compile(r"[a-z0-9_]{4,}-[a-z0-9\-_]{4,}")
JSON_SLUG_PATTERN = re.compile(r"[a-z0-9_-]+[a-z0-9]")
TRACK_SLUG_PATTERN = re.compile(r"[a-z][a-z0-9-]+")
COLOR_PATTERN = re.compile(r"#[0-9a-fA-F]{6}")
# XML 1.0 cannot carry most control characters, even escaped.
XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclass(frozen=True)
class Day:
    index: int
    date: dt.date
    start: dt.datetime
    end: dt.datetime
    rooms: tuple[tuple[Room, tuple[SessionView, ...]], ...]


def ascii_slug(text: str, *, separator: str = "-") -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    return re.sub(r"[^a-z0-9]+", separator, folded).strip(separator)


def acronym(programme: Programme) -> str:
    """Lower-case letters, digits and underscores, at least four: what both schemas accept."""
    event = programme.event
    for candidate in (event.acronym, event.slug):
        value = ascii_slug(candidate, separator="_")
        if len(value) >= 4:
            return value
    return ascii_slug(event.slug, separator="_").ljust(4, "_")


def session_slug(programme: Programme, view: SessionView) -> str:
    title = ascii_slug(view.session.title)[:60].rstrip("-")
    return "-".join(part for part in (acronym(programme), str(view.session.id), title) if part)


def named_uuid(programme: Programme, kind: str, slug: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"{programme.event.slug}/{kind}/{slug}"))


def hhmm(duration: dt.timedelta) -> str:
    minutes = int(duration.total_seconds()) // 60
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def schedule_days(programme: Programme) -> list[Day]:
    """The event's days, each with every room and the sessions starting in it that day."""
    zone = programme.zone
    by_day: dict[dt.date, list[SessionView]] = {}
    # frab has no way to say "cancelled": a cancelled session leaves the schedule (its page stays, marked).
    for view in programme.sessions:
        if not view.session.cancelled:
            by_day.setdefault(view.local_start(zone).date(), []).append(view)
    # A session outside the event's dates still gets a day, so no session is ever left out.
    dates = sorted(set(programme.event.days) | set(by_day))
    days = []
    for index, date in enumerate(dates, start=1):
        start = dt.datetime.combine(date, dt.time(0), tzinfo=zone)
        end = dt.datetime.combine(date, dt.time(23, 59, 59), tzinfo=zone)
        views = by_day.get(date, [])
        rooms = tuple((room, tuple(v for v in views if v.room.id == room.id)) for room in programme.rooms)
        days.append(Day(index=index, date=date, start=start, end=end, rooms=rooms))
    return days


def release_version(event: Event) -> str:
    """The schedule's version: the programme release the public sees, as organisers name it."""
    return f"release {event.programme_release}"


def conference_url(programme: Programme, links: Links) -> str:
    url = programme.event.url
    return url if url.startswith(("http://", "https://")) else links.event_page(programme.event.slug)


# schedule.json


def json_track(track: Track) -> dict[str, Any]:
    data: dict[str, Any] = {"name": localised(track, "name"), "color": track.color}
    if JSON_SLUG_PATTERN.fullmatch(track.slug):
        data["slug"] = track.slug
    return data


def json_room(programme: Programme, room: Room) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": localised(room, "name"),
        "guid": named_uuid(programme, "room", room.slug),
        "description": localised(room, "description") or None,
        "capacity": room.capacity or None,
    }
    if JSON_SLUG_PATTERN.fullmatch(room.slug):
        data["slug"] = room.slug
    return data


def json_person(programme: Programme, person: Person) -> dict[str, Any]:
    # "name" without "id" makes this a pretalx person; "public_name" is kept for older readers.
    return {
        "guid": named_uuid(programme, "person", person.slug),
        "name": person.name,
        "public_name": person.name,
        "biography": person.biography or None,
    }


def json_event(programme: Programme, view: SessionView, *, links: Links) -> dict[str, Any]:
    session = view.session
    start = view.local_start(programme.zone)
    data: dict[str, Any] = {
        "guid": str(session.guid),
        "id": session.id,
        "date": start.isoformat(),
        "start": start.strftime("%H:%M"),
        "end": view.local_end(programme.zone).isoformat(),
        "duration": hhmm(view.duration),
        "room": localised(view.room, "name"),
        "slug": session_slug(programme, view),
        "url": links.session_page(programme.event.slug, session.code),
        "title": localised(session, "title"),
        "subtitle": "",
        "track": localised(view.track, "name") if view.track else None,
        "type": session.kind,
        "language": session.language,
        "abstract": localised(session, "abstract"),
        "description": "",
        "persons": [json_person(programme, person) for person in view.speakers],
        "links": [],
        "attachments": [],
    }
    if JSON_CODE_PATTERN.fullmatch(session.code):
        data["code"] = session.code
    return data


def json_day(programme: Programme, day: Day, *, links: Links) -> dict[str, Any]:
    rooms: dict[str, list[dict[str, Any]]] = {}
    for room, views in day.rooms:
        # setdefault: two rooms with the same name share one list rather than hiding each other.
        rooms.setdefault(localised(room, "name"), []).extend(json_event(programme, view, links=links) for view in views)
    return {
        "index": day.index,
        "date": day.date.isoformat(),
        "day_start": day.start.isoformat(),
        "day_end": day.end.isoformat(),
        "rooms": rooms,
    }


def schedule_json(programme: Programme, *, links: Links) -> dict[str, Any]:
    event = programme.event
    days = schedule_days(programme)
    conference: dict[str, Any] = {
        "acronym": acronym(programme),
        "title": localised(event, "title"),
        "start": days[0].date.isoformat() if days else event.start_date.isoformat(),
        "end": days[-1].date.isoformat() if days else event.end_date.isoformat(),
        "daysCount": len(days),
        "timeslot_duration": TIMESLOT,
        "time_zone_name": event.timezone,
        "url": conference_url(programme, links),
        "tracks": [json_track(track) for track in programme.tracks],
        "rooms": [json_room(programme, room) for room in programme.rooms],
        "days": [json_day(programme, day, links=links) for day in days],
    }
    if event.description:
        conference["description"] = localised(event, "description")
    return {
        "$schema": JSON_SCHEMA_URL,
        "generator": {"name": GENERATOR},
        "schedule": {"version": release_version(event), "base_url": links.site(), "conference": conference},
    }


# schedule.xml


def _text(parent: ET.Element, tag: str, value: str, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, tag, {key: XML_INVALID.sub("", val) for key, val in attributes.items()})
    element.text = XML_INVALID.sub("", value)
    return element


def xml_event(parent: ET.Element, programme: Programme, view: SessionView, *, links: Links) -> None:
    session = view.session
    start = view.local_start(programme.zone)
    attributes = {"id": str(session.id), "guid": str(session.guid)}
    if CODE_PATTERN.fullmatch(session.code):
        attributes["code"] = session.code
    element = ET.SubElement(parent, "event", attributes)
    _text(element, "room", localised(view.room, "name"))
    _text(element, "title", localised(session, "title"))
    _text(element, "subtitle", "")
    _text(element, "type", session.kind)
    _text(element, "date", start.isoformat())
    _text(element, "start", start.strftime("%H:%M"))
    _text(element, "duration", hhmm(view.duration))
    _text(element, "abstract", localised(session, "abstract"))
    slug = session_slug(programme, view)
    if XML_SLUG_PATTERN.fullmatch(slug):
        _text(element, "slug", slug)
    _text(element, "track", localised(view.track, "name") if view.track else "")
    persons = ET.SubElement(element, "persons")
    for person in view.speakers:
        _text(persons, "person", person.name, id=str(person.id), guid=named_uuid(programme, "person", person.slug))
    _text(element, "language", session.language)
    _text(element, "description", "")
    ET.SubElement(element, "links")
    ET.SubElement(element, "attachments")
    _text(element, "url", links.session_page(programme.event.slug, session.code))


def xml_conference(root: ET.Element, programme: Programme, days: list[Day], *, links: Links) -> None:
    event = programme.event
    conference = ET.SubElement(root, "conference")
    _text(conference, "title", localised(event, "title"))
    _text(conference, "acronym", acronym(programme))
    _text(conference, "start", days[0].date.isoformat() if days else event.start_date.isoformat())
    _text(conference, "end", days[-1].date.isoformat() if days else event.end_date.isoformat())
    _text(conference, "days", str(len(days)))
    _text(conference, "timeslot_duration", TIMESLOT)
    _text(conference, "base_url", links.site())
    _text(conference, "url", conference_url(programme, links))
    _text(conference, "time_zone_name", event.timezone)
    for track in programme.tracks:
        attributes = {"name": localised(track, "name")}
        if COLOR_PATTERN.fullmatch(track.color):
            attributes["color"] = track.color
        if TRACK_SLUG_PATTERN.fullmatch(track.slug):
            attributes["slug"] = track.slug
        _text(conference, "track", localised(track, "name"), **attributes)


def schedule_xml(programme: Programme, *, links: Links) -> bytes:
    days = schedule_days(programme)
    root = ET.Element("schedule")
    ET.SubElement(root, "generator", {"name": GENERATOR})
    _text(root, "url", links.schedule_xml(programme.event.slug))
    _text(root, "version", release_version(programme.event))
    xml_conference(root, programme, days, links=links)
    for day in days:
        day_element = ET.SubElement(
            root,
            "day",
            {
                "index": str(day.index),
                "date": day.date.isoformat(),
                "start": day.start.isoformat(),
                "end": day.end.isoformat(),
            },
        )
        for room, views in day.rooms:
            room_element = ET.SubElement(
                day_element, "room", {"name": localised(room, "name"), "guid": named_uuid(programme, "room", room.slug)}
            )
            for view in views:
                xml_event(room_element, programme, view, links=links)
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)
