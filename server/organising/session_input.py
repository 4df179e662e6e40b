"""The session form's input: every field checked, each bad one named with its message; ids of rooms, tracks and
people that are not this event's are "not found"."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from server.agenda.models import Room
from server.agenda.texts import SESSION_FIELDS, form_translations
from server.errors import InvalidInput, NotFound
from server.i18n import gettext as _
from server.organising.working_copy import WorkingCopy

FIELDS = (
    "title",
    "abstract",
    "kind",
    "start",
    "end",
    "room_id",
    "track_id",
    "language",
    "capacity",
    "cancelled",
    "translations",
)
MAX_TITLE, MAX_ABSTRACT, MAX_SPEAKERS = 300, 20_000, 30
MAX_MINUTES = 7 * 24 * 60  # an exhibition may run all week
MAX_CAPACITY = 100_000
MAX_SHIFT = 14 * 24 * 60
TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


class FieldErrors(InvalidInput):
    """The form's fields that were not accepted, each with its message; 404 when one names another event's
    room, track or person (or one that does not exist)."""

    def __init__(self, errors: Mapping[str, str], *, not_found: bool = False) -> None:
        super().__init__(" ".join(errors.values()))
        self.errors = dict(errors)
        if not_found:
            self.status_code = NotFound.status_code


@dataclass(frozen=True)
class SessionValues:
    title: str
    abstract: str
    kind: str
    start: dt.datetime
    end: dt.datetime
    room_id: int
    track_id: int | None
    language: str
    capacity: int | None
    speaker_ids: tuple[int, ...]
    translations: dict[str, dict[str, str]]


def number(text: str, *, limit: int) -> int | None:
    text = text.strip()
    if not text.isdigit() or len(text) > len(str(limit)) or int(text) > limit:
        return None
    return int(text)


def row_id(text: str) -> int | None:
    return number(text, limit=2**31 - 1)


def local_moment(day: str, time: str, zone: ZoneInfo, errors: dict[str, str]) -> dt.datetime | None:
    """The UTC moment of a day and a wall time in the event's zone; the field's message in ``errors`` if bad."""
    try:
        date = dt.date.fromisoformat(day.strip())
    except ValueError:
        errors["day"] = _("Enter the day as a date, e.g. 2021-10-27.")
        return None
    if not 2000 <= date.year <= 2100:
        errors["day"] = _("Enter a day between the years 2000 and 2100.")
        return None
    match = TIME.match(time.strip())
    if match is None:
        errors["start"] = _("Enter the start as a time of day, e.g. 09:30.")
        return None
    wall = dt.datetime.combine(date, dt.time(int(match[1]), int(match[2])), tzinfo=zone)
    return wall.astimezone(dt.UTC)


def event_room(copy: WorkingCopy, text: str, errors: dict[str, str], missing: list[str]) -> Room | None:
    room_id = row_id(text)
    room = next((room for room in copy.rooms if room.id == room_id), None)
    if room is None:
        errors["room"] = _("Choose a room of this event.")
        if text.strip():
            missing.append("room")
    return room


def parse_session_form(copy: WorkingCopy, form: Mapping[str, Any]) -> SessionValues:
    """Checks every field of the session form; raises FieldErrors naming each bad one."""
    errors: dict[str, str] = {}
    missing: list[str] = []  # fields naming something not in this event: "not found"
    title = str(form.get("title", "")).strip()
    if not title:
        errors["title"] = _("Enter a title.")
    elif len(title) > MAX_TITLE:
        errors["title"] = _("The title is too long (%(limit)s characters at most).") % {"limit": MAX_TITLE}
    abstract = str(form.get("abstract", "")).strip().replace("\r\n", "\n")
    if len(abstract) > MAX_ABSTRACT:
        errors["abstract"] = _("The abstract is too long (%(limit)s characters at most).") % {"limit": MAX_ABSTRACT}
    kind = str(form.get("kind", ""))
    if kind not in {value for value, _label in copy.kinds}:
        errors["kind"] = _("Choose a kind of session from the list.")
    room = event_room(copy, str(form.get("room", "")), errors, missing)
    track_text = str(form.get("track", "")).strip()
    track_id = None
    if track_text:
        track_id = row_id(track_text)
        if track_id not in {track.id for track in copy.tracks}:
            errors["track"] = _("Choose a track of this event, or none.")
            missing.append("track")
    start = local_moment(str(form.get("day", "")), str(form.get("start", "")), copy.zone, errors)
    minutes = number(str(form.get("duration", "")), limit=MAX_MINUTES)
    if not minutes:
        errors["duration"] = _("Enter the duration in minutes, from 1 to %(limit)s.") % {"limit": MAX_MINUTES}
    language = str(form.get("language", "")).strip()
    if language not in copy.event.language_list:
        errors["language"] = _("Choose one of the event's languages.")
    capacity_text = str(form.get("capacity", "")).strip()
    capacity = None
    if capacity_text:
        capacity = number(capacity_text, limit=MAX_CAPACITY)
        if capacity is None:
            errors["capacity"] = _("Enter a number of seats from 0 to %(limit)s, or leave it empty for the room's.") % {
                "limit": MAX_CAPACITY
            }
    speaker_ids: list[int] = []
    people = {person.id for person in copy.people}
    for text in form.get("speakers", ()):
        if not str(text).strip():
            continue
        person_id = row_id(str(text))
        if person_id not in people:
            errors["speakers"] = _("Choose the speakers from this event's people.")
            missing.append("speakers")
        elif person_id is not None and person_id not in speaker_ids:
            speaker_ids.append(person_id)
    if len(speaker_ids) > MAX_SPEAKERS:
        errors["speakers"] = _("A session has at most %(limit)s speakers.") % {"limit": MAX_SPEAKERS}
    translations, refused = form_translations(form, copy.event, SESSION_FIELDS)
    errors.update(refused)
    if errors or start is None or room is None or not minutes:
        raise FieldErrors(errors, not_found=bool(missing))
    return SessionValues(
        title=title,
        abstract=abstract,
        kind=kind,
        start=start,
        end=start + dt.timedelta(minutes=minutes),
        room_id=room.id or 0,
        track_id=track_id,
        language=language,
        capacity=capacity,
        speaker_ids=tuple(speaker_ids),
        translations=translations,
    )
