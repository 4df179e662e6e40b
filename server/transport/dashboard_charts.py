"""The organiser dashboard's pictures: registrations over time by mode, delegates by country, each session's fill
and waitlist, arrivals per hour at check-in, and each live room's viewers and questions over time.

Each chart is one ``Chart``: the same rows give the SVG (server/transport/svg_charts.py), the table beside it for
screen readers and the CSV export, so the three always agree. Labels are in the page's language, numbers through
Babel, times in the event's zone.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from babel.dates import format_skeleton
from babel.numbers import format_decimal
from markupsafe import Markup
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from server import formats
from server.accounts.actors import Actor
from server.errors import NotFound
from server.events.models import Event
from server.i18n import _, current_locale, ngettext
from server.live.activity import RoomActivity, live_activity
from server.registration.arrivals import arrivals_per_hour
from server.registration.countries import country_name
from server.registration.growth import registrations_per_day
from server.registration.models import Attendance
from server.registration.reports import Dashboard, _csv_safe, dashboard
from server.registration.rules import can_manage_registrations
from server.registration.seats import holds_seat, seatless_kinds
from server.transport.context import database
from server.transport.loaders import EventPage, load_event_page, requires
from server.transport.svg_charts import Series, bar_chart, fill_chart, line_chart

TOP_COUNTRIES = 8
LIVE_POINTS = 120  # a live room's line keeps at most this many points: longer rooms count in wider steps


@dataclass(frozen=True)
class Chart:
    """One picture and its numbers: a row per ``keys`` item (raw, for the CSV: a date, an hour, a name) shown as
    the ``labels`` item (formatted, for the table), with ``values`` under ``headings[1:]``. ``svg`` is None when
    there is nothing to draw yet (``empty`` says so)."""

    name: str
    title: str
    headings: tuple[str, ...]
    keys: list[str]
    labels: list[str]
    values: list[tuple[int, ...]]
    svg: Markup | None
    empty: str

    @property
    def cells(self) -> list[tuple[str, tuple[str, ...]]]:
        """The table's rows: the row's label and its numbers formatted in the page's language."""
        return [
            (label, tuple(number(value) for value in row)) for label, row in zip(self.labels, self.values, strict=True)
        ]


def number(value: float) -> str:
    return format_decimal(value, locale=current_locale())


def registrations_chart(per_day: dict[dt.date, Counter[str]]) -> Chart:
    title = _("Registrations so far, by day and attendance")
    headings = (_("Day"), _("On site"), _("Online"))
    onsite = online = 0
    values: list[tuple[int, ...]] = []
    for counts in per_day.values():
        onsite += counts[Attendance.onsite]
        online += counts[Attendance.online]
        values.append((onsite, online))
    days = list(per_day)
    locale = current_locale()
    svg = None
    if values:
        svg = line_chart(
            [format_skeleton("MMMd", day, locale=locale) for day in days],
            [
                Series(headings[1], [row[0] for row in values], tone="accent", pattern="solid"),
                Series(headings[2], [row[1] for row in values], tone="good", pattern="dash"),
            ],
            chart_id="chart-registrations",
            title=title,
            number=number,
        )
    return Chart(
        name="registrations",
        title=title,
        headings=headings,
        keys=[day.isoformat() for day in days],
        labels=[formats.date(day) for day in days],
        values=values,
        svg=svg,
        empty=_("No registrations yet."),
    )


def countries_chart(countries: list[tuple[str, int]]) -> Chart:
    title = _("Confirmed delegates by country")
    headings = (_("Country"), _("Delegates"))
    named = [(country_name(code), count) for code, count in countries]
    shown = named[:TOP_COUNTRIES]
    others = sum(count for _name, count in named[TOP_COUNTRIES:])
    if others:
        label = ngettext("%(num)d other country", "%(num)d other countries", len(named) - TOP_COUNTRIES)
        shown.append((label % {"num": len(named) - TOP_COUNTRIES}, others))
    labels = [name for name, _count in shown]
    svg = None
    if shown:
        svg = bar_chart(
            labels,
            [Series(headings[1], [count for _name, count in shown])],
            chart_id="chart-countries",
            title=title,
            number=number,
        )
    return Chart(
        name="countries",
        title=title,
        headings=headings,
        keys=labels,
        labels=labels,
        values=[(count,) for _name, count in shown],
        svg=svg,
        empty=_("No confirmed delegate has given a country yet."),
    )


def sessions_chart(report: Dashboard, seatless: frozenset[str]) -> Chart:
    title = _("Seats, confirmed places and waitlist of each session")
    headings = (_("Session"), _("Seats"), _("Confirmed"), _("Waitlist"))
    fills = [fill for fill in report.sessions if fill.seats and holds_seat(fill.session, fill.room, seatless)]
    labels = [fill.session.title for fill in fills]
    svg = None
    if fills:
        svg = fill_chart(
            labels,
            seats=[fill.seats for fill in fills],
            taken=[fill.seated for fill in fills],
            waiting=[fill.waitlisted for fill in fills],
            names=(headings[1], headings[2], headings[3]),
            notes=[
                _("%(taken)s of %(seats)s, %(waiting)s waiting")
                % {"taken": number(fill.seated), "seats": number(fill.seats), "waiting": number(fill.waitlisted)}
                for fill in fills
            ],
            chart_id="chart-sessions",
            title=title,
        )
    return Chart(
        name="sessions",
        title=title,
        headings=headings,
        keys=labels,
        labels=labels,
        values=[(fill.seats, fill.seated, fill.waitlisted) for fill in fills],
        svg=svg,
        empty=_("No session has seats to fill."),
    )


def _table_moment(moment: dt.datetime) -> str:
    """A moment in the numbers' table, on the clock it is already on (the event's), as every page writes one
    (server/formats.py): Babel's "short" would print "10/27/21, 9:00 AM"."""
    return formats.datetime(moment, moment.tzinfo if isinstance(moment.tzinfo, ZoneInfo) else None)


def _moment_labels(moments: Sequence[dt.datetime]) -> list[str]:
    """Short axis labels: the time, with the day when the moments span several days."""
    several_days = len({moment.date() for moment in moments}) > 1
    locale = current_locale()
    return [format_skeleton("EHm" if several_days else "Hm", moment, locale=locale) for moment in moments]


def arrivals_chart(hours: list[tuple[dt.datetime, int]]) -> Chart:
    title = _("Arrivals at check-in per hour")
    headings = (_("Hour"), _("Arrivals"))
    moments = [hour for hour, _count in hours]
    svg = None
    if hours:
        svg = bar_chart(
            _moment_labels(moments),
            [Series(headings[1], [count for _hour, count in hours])],
            chart_id="chart-arrivals",
            title=title,
            number=number,
            across=False,
        )
    return Chart(
        name="arrivals",
        title=title,
        headings=headings,
        keys=[hour.isoformat() for hour in moments],
        labels=[_table_moment(hour) for hour in moments],
        values=[(count,) for _hour, count in hours],
        svg=svg,
        empty=_("Nobody has checked in yet."),
    )


def _minute(moment: dt.datetime) -> dt.datetime:
    aware = moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
    return aware.astimezone(dt.UTC).replace(second=0, microsecond=0)


def live_chart(room: RoomActivity, zone: ZoneInfo) -> Chart:
    """The room's peak headcount and the questions asked so far, per minute (or per wider step in a long room)."""
    session = room.session
    title = _("Viewers and questions over time: %(session)s") % {"session": session.title}
    headings = (_("Time"), _("Viewers"), _("Questions so far"))
    moments = [_minute(minute) for minute, _c, _o in room.samples] + [_minute(asked) for asked in room.questions]
    first, last = min(moments), max(moments)
    minutes = int((last - first).total_seconds() // 60) + 1
    step = max(1, math.ceil(minutes / LIVE_POINTS))
    viewers, asked = [0] * math.ceil(minutes / step), [0] * math.ceil(minutes / step)

    def slot(moment: dt.datetime) -> int:
        return int((_minute(moment) - first).total_seconds() // 60) // step

    for minute, connected, _online in room.samples:
        viewers[slot(minute)] = max(viewers[slot(minute)], connected)
    for moment in room.questions:
        asked[slot(moment)] += 1
    times = [(first + dt.timedelta(minutes=index * step)).astimezone(zone) for index in range(len(viewers))]
    so_far = list(itertools.accumulate(asked))
    return Chart(
        name=f"live-{session.code}",
        title=title,
        headings=headings,
        keys=[moment.isoformat() for moment in times],
        labels=[_table_moment(moment) for moment in times],
        values=list(zip(viewers, so_far, strict=True)),
        svg=line_chart(
            _moment_labels(times),
            [
                Series(headings[1], viewers, tone="accent", pattern="solid"),
                Series(headings[2], so_far, tone="warn", pattern="dash"),
            ],
            chart_id=f"chart-live-{session.id}",
            title=title,
            number=number,
        ),
        empty="",
    )


async def dashboard_charts(
    db: AsyncSession, *, actor: Actor, event: Event, report: Dashboard, seatless: frozenset[str]
) -> tuple[list[Chart], list[Chart]]:
    """The event's charts, and one chart per live room that had anyone in it or any question."""
    zone = ZoneInfo(event.timezone)
    per_day = await registrations_per_day(db, actor=actor, event=event)
    hours = await arrivals_per_hour(db, event)
    rooms = await live_activity(db, actor=actor, event=event)
    charts = [
        registrations_chart(per_day),
        countries_chart(report.countries),
        sessions_chart(report, seatless),
        arrivals_chart(hours),
    ]
    return charts, [live_chart(room, zone) for room in rooms]


def chart_csv(chart: Chart) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([_csv_safe(heading) for heading in chart.headings])
    for key, row in zip(chart.keys, chart.values, strict=True):
        writer.writerow([_csv_safe(key), *row])
    return buffer.getvalue()


@requires(can_manage_registrations, load_event_page, page=False)
async def chart_export(request: Request, page: EventPage) -> Response:
    """One chart's numbers as CSV, labels in the page's language: ``/{slug}/organiser/charts/{name}.csv``."""
    event, name = page.event, request.path_params["name"]
    async with database(request).session() as db:
        report = await dashboard(db, actor=page.actor, event=event)
        charts, live = await dashboard_charts(
            db, actor=page.actor, event=event, report=report, seatless=await seatless_kinds(db, event=event)
        )
    chart = next((chart for chart in [*charts, *live] if chart.name == name), None)
    if chart is None:
        raise NotFound(_("This event has no chart of that name."))
    return Response(
        "\ufeff" + chart_csv(chart),
        media_type="text/csv; charset=utf-8",
        headers={
            "content-disposition": f'attachment; filename="{event.slug}-{chart.name}.csv"',
            "cache-control": "private, no-store",
        },
    )


routes: list[BaseRoute] = [
    Route("/{slug}/organiser/charts/{name}.csv", chart_export, methods=["GET"], name="chart_csv"),
]
