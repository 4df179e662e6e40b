"""What the agenda pages show: days of time slots laid out over rooms, in the zone the visitor chose."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from babel.dates import get_timezone_name

from server.agenda.kinds import DEFAULT_NAMES
from server.agenda.models import Room
from server.agenda.services import Programme, SessionView, to_zone
from server.errors import InvalidInput
from server.i18n import current_locale, localised
from server.i18n import gettext as _
from server.time_zones import known_zones

# The grid's placement classes in web/static/agenda-grid.css go this far (the CSP forbids style
# attributes); a day with more slots or rooms is shown as a list instead.
MAX_GRID_SLOTS = 60
MAX_GRID_COLUMNS = 12
FIRST_SLOT_ROW = 2  # row 1 holds the room names
# Items this long (an exhibition open all day) are listed above the grid rather than filling a column.
LONG_RUNNING = dt.timedelta(hours=4)

# Offered in the time zone switch next to the event's own zone and the visitor's current choice.
COMMON_ZONES = (
    "UTC",
    "Asia/Shanghai",
    "Asia/Tokyo",
    "Asia/Seoul",
    "Asia/Jakarta",
    "Asia/Singapore",
    "Asia/Kolkata",
    "Asia/Dubai",
    "Asia/Tehran",
    "Europe/Moscow",
    "Europe/Paris",
    "Europe/London",
    "Africa/Nairobi",
    "Africa/Lagos",
    "America/Sao_Paulo",
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "Australia/Sydney",
    "Pacific/Auckland",
)


def parse_zone(name: str, *, event_zone: str) -> str:
    """The zone to show times in: "" means the event's own zone."""
    name = name.strip()
    if not name or name == event_zone:
        return ""
    if name not in known_zones():
        raise InvalidInput(
            _("'%(zone)s' is not a time zone we know; use a name such as Asia/Jakarta.") % {"zone": name[:60]}
        )
    return name


def zone_choices(event_zone: str, current: str) -> list[tuple[str, str]]:
    """(zone, label) pairs for the switch: the visitor's current choice first, then the common zones."""
    zones = [zone for zone in COMMON_ZONES if zone != event_zone]
    if current and current not in zones:
        zones.insert(0, current)
    return [(zone, zone_label(zone)) for zone in zones]


def zone_label(zone: str) -> str:
    """A zone's name for people, e.g. "India Time"; Babel has none for UTC itself."""
    if zone in {"UTC", "Etc/UTC", "Etc/UCT", "UCT", "Universal", "Zulu", "Etc/Universal", "Etc/Zulu"}:
        return _("Coordinated Universal Time")
    return get_timezone_name(ZoneInfo(zone), locale=current_locale())


def kind_labels() -> dict[str, str]:
    return {
        "plenary": _("Plenary"),
        "parallel": _("Parallel session"),
        "ceremony": _("Ceremony"),
        "video-address": _("Video address"),
        "exhibition": _("Exhibition"),
        "break": _("Break"),
    }


def kind_names(programme: Programme) -> dict[str, str]:
    """The event's kinds by slug, in order: a built-in kind's name in the reader's language until renamed."""
    if not programme.kinds:
        return kind_labels()
    labels = kind_labels()
    names = {}
    for kind in programme.kinds:
        given = localised(kind, "name")
        if given == kind.name and DEFAULT_NAMES.get(kind.slug) == kind.name:
            given = labels[kind.slug]  # no translation given: the built-in kind's name in the reader's language
        names[kind.slug] = given
    return names


def country_name(code: str) -> str:
    return current_locale().territories.get(code.upper(), code) if code else ""


def language_name(code: str) -> str:
    languages = current_locale().languages
    return languages.get(code.replace("-", "_")) or languages.get(code.split("-")[0]) or code


@dataclass(frozen=True)
class Card:
    """One session as placed on a page."""

    view: SessionView
    start: dt.datetime  # in the zone shown
    end: dt.datetime
    column: int = 0  # grid column; column 1 holds the times
    row_start: int = 0
    row_end: int = 0

    @property
    def code(self) -> str:
        return self.view.session.code


@dataclass(frozen=True)
class Slot:
    start: dt.datetime  # in the zone shown
    row: int
    cards: tuple[Card, ...]


@dataclass(frozen=True)
class RoomColumn:
    """A room's place in the grid: one column, or one per lane when its sessions overlap."""

    room: Room
    first: int
    end: int  # exclusive, as grid-column-end counts


@dataclass(frozen=True)
class Day:
    """One day of the event, in the event's own time zone, whatever zone its times are shown in."""

    date: dt.date
    rooms: tuple[RoomColumn, ...]
    slots: tuple[Slot, ...]
    running: tuple[Card, ...]  # long-running items (exhibitions), listed apart from the grid
    as_grid: bool

    @property
    def columns(self) -> int:
        return self.rooms[-1].end - 2 if self.rooms else 0

    @property
    def cards(self) -> list[Card]:
        return [*self.running, *(card for slot in self.slots for card in slot.cards)]


def build_days(
    views: Iterable[SessionView],
    *,
    rooms: Sequence[Room],
    event_zone: ZoneInfo,
    shown_zone: ZoneInfo,
    long_running_apart: bool = True,
) -> list[Day]:
    """Group sessions by the event's days, then by start time; parallel sessions share a slot."""
    by_day: dict[dt.date, list[SessionView]] = {}
    for view in views:
        by_day.setdefault(to_zone(view.session.start, event_zone).date(), []).append(view)
    room_order = {room.id: index for index, room in enumerate(rooms)}
    days = []
    for date in sorted(by_day):
        running = [view for view in by_day[date] if long_running_apart and view.duration >= LONG_RUNNING]
        timed = [view for view in by_day[date] if not (long_running_apart and view.duration >= LONG_RUNNING)]
        days.append(_build_day(date, timed, running, room_order=room_order, shown_zone=shown_zone))
    return days


def _build_day(
    date: dt.date,
    views: list[SessionView],
    running: list[SessionView],
    *,
    room_order: dict[int | None, int],
    shown_zone: ZoneInfo,
) -> Day:
    views = sorted(views, key=lambda view: (view.session.start, room_order[view.room.id], view.session.position))
    lanes = _lanes(views)
    room_columns = []
    column = 2
    for room in sorted({view.room.id: view.room for view in views}.values(), key=lambda room: room_order[room.id]):
        width = 1 + max(lanes[view.session.code] for view in views if view.room.id == room.id)
        room_columns.append(RoomColumn(room=room, first=column, end=column + width))
        column += width
    first_column = {entry.room.id: entry.first for entry in room_columns}
    starts = sorted({view.session.start for view in views})
    rows = {start: index + FIRST_SLOT_ROW for index, start in enumerate(starts)}
    last_row = FIRST_SLOT_ROW + len(starts)
    slots: dict[dt.datetime, list[Card]] = {start: [] for start in starts}
    for view in views:
        # A session runs down to the first slot that starts at or after its end.
        row_start = rows[view.session.start]
        row_end = next((rows[start] for start in starts if start >= view.session.end), last_row)
        slots[view.session.start].append(
            Card(
                view=view,
                start=view.local_start(shown_zone),
                end=view.local_end(shown_zone),
                column=first_column[view.room.id] + lanes[view.session.code],
                row_start=row_start,
                row_end=max(row_end, row_start + 1),
            )
        )
    return Day(
        date=date,
        rooms=tuple(room_columns),
        slots=tuple(
            Slot(start=to_zone(start, shown_zone), row=rows[start], cards=tuple(slots[start])) for start in starts
        ),
        running=tuple(
            Card(view=view, start=view.local_start(shown_zone), end=view.local_end(shown_zone)) for view in running
        ),
        as_grid=len(starts) <= MAX_GRID_SLOTS and column - 2 <= MAX_GRID_COLUMNS,
    )


def _lanes(views: list[SessionView]) -> dict[str, int]:
    """Sessions that overlap in one room go side by side: each gets the first lane free at its start."""
    lanes: dict[str, int] = {}
    lane_ends: dict[int | None, list[dt.datetime]] = {}
    for view in views:  # in order of start
        ends = lane_ends.setdefault(view.room.id, [])
        lane = next((index for index, end in enumerate(ends) if end <= view.session.start), len(ends))
        if lane == len(ends):
            ends.append(view.session.end)
        else:
            ends[lane] = view.session.end
        lanes[view.session.code] = lane
    return lanes
