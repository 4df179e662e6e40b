"""Server-rendered pages: the events, an event's programme and its sessions."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_interval, format_skeleton
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Route

from server import clock, i18n
from server.accounts.actors import Actor
from server.agenda.services import (
    AgendaFilter,
    Programme,
    SessionView,
    parse_filter,
    select_sessions,
    to_zone,
)
from server.app_services import services_of
from server.db import Database
from server.events.models import Event
from server.i18n import gettext as _
from server.i18n import localised
from server.organising.rules import can_create_events
from server.permissions import allows
from server.phases.board import PhaseBoard
from server.transport.agenda_view import (
    build_days,
    country_name,
    kind_names,
    language_name,
    zone_choices,
    zone_label,
)
from server.transport.auth import current_account
from server.transport.context import listed_events
from server.transport.page_cache import serve_cached
from server.transport.phase_pages import board_for_slug, now_document
from server.transport.rendering import render_text
from server.transport.urls import RoutePaths, paths_of, with_query
from server.transport.zones import EVENT_TIME

FILTER_FIELDS = ("q", "day", "track", "room", "kind")
NARROWING_FIELDS = ("q", "track", "room", "kind")  # the filters behind the button; the day is a tab
ALL_DAYS = "all"  # ?day=all: every day of the event on one page
INDENTATION = re.compile(r"\n\s+")


@dataclass(frozen=True)
class PageState:
    """The visitor's choices a page depends on, which its links and forms carry on."""

    path: str
    paths: RoutePaths = field(compare=False)  # the site's named routes, to link to other pages
    lang: str  # "" unless the URL asks for a language
    tz: str  # "" for the event's own time zone
    filters: tuple[tuple[str, str], ...] = ()

    def url(self, path: str, *, with_filters: bool = False, **params: str) -> str:
        """``path`` with this page's language and time zone (and filters), then ``params`` on top."""
        query: dict[str, str] = {"lang": self.lang, "tz": self.tz}
        if with_filters:
            query.update(self.filters)
        query.update(params)
        return with_query(path, **query)

    def language_links(self) -> list[dict[str, Any]]:
        current = i18n.current_language()
        return [
            {
                "language": language,
                "href": self.url(self.path, with_filters=True, lang=language.code),
                "current": language == current,
            }
            for language in i18n.LANGUAGES
        ]


def page_state(request: Request, *, tz: str = "", filters: tuple[tuple[str, str], ...] = ()) -> PageState:
    lang = request.state.language.code if request.query_params.get("lang") else ""
    return PageState(path=request.url.path, lang=lang, tz=tz, filters=filters, paths=paths_of(request.app.router))


def base_context(state: PageState) -> dict[str, Any]:
    return {"state": state, "lang_links": state.language_links(), "home_url": state.url(state.paths.path("events"))}


def event_dates(event: Event) -> str:
    return format_interval(event.start_date, event.end_date, "yMMMd", locale=i18n.current_locale())


def database(request: Request) -> Database:
    db = services_of(request.app).database
    return db


async def events_index(request: Request) -> Response:
    async with database(request).session() as db:
        events = await listed_events(db)
        actor = Actor(account=await current_account(request, db))
    state = page_state(request)
    listed = [
        {"event": event, "dates": event_dates(event), "href": state.url(state.paths.path("agenda", slug=event.slug))}
        for event in events
    ]
    may_create = allows(actor, can_create_events, services_of(request.app).settings.event_creators)
    html = render_text(request, "events.html", {**base_context(state), "events": listed, "may_create": may_create})
    return HTMLResponse(html)


async def agenda(request: Request) -> Response:
    # What runs now is marked, and the day shown first is today's: a page is cached for the minute it was made in.
    now = clock.utcnow().replace(second=0, microsecond=0)
    # Each session's phase and each room's "on now": the page is cached per board too (it changes with a phase).
    stamp, board = await board_for_slug(request)

    def build(programme: Programme, tz: str) -> str:
        raw = {name: request.query_params.get(name, "").strip() for name in FILTER_FIELDS}
        day = shown_day(programme, raw["day"], now)
        agenda_filter = parse_filter(
            programme,
            query=raw["q"],
            day=day.isoformat() if day else "",
            track=raw["track"],
            room=raw["room"],
            kind=raw["kind"],
        )
        filters = tuple((name, value) for name, value in raw.items() if value)
        state = page_state(request, tz=tz, filters=filters)
        context = agenda_context(programme, agenda_filter, state, now=now)
        if board is not None:
            context.update(phase_context(programme, board, state.paths, context["shown_zone"]))
        return render_text(request, "agenda.html", context)

    return await serve_cached(request, "agenda", build, moment=(now, board and board.stamp), stamp=stamp)


def phase_context(programme: Programme, board: PhaseBoard, paths: RoutePaths, zone: ZoneInfo) -> dict[str, Any]:
    """The agenda's phases (a badge on each card) and "On now" per room, as ``now.json`` has them (times in the
    page's zone); agenda.js keeps them current."""
    document = now_document(programme, board, paths)
    for room in document["rooms"]:
        for item in (room["now"], room["next"]):
            if item is not None:
                item["local_start"] = to_zone(dt.datetime.fromisoformat(item["start"]), zone)
                item["local_end"] = to_zone(dt.datetime.fromisoformat(item["end"]), zone)
                item["other_day"] = item["local_start"].date() != to_zone(board.now, zone).date()
    return {
        "phases": {view.session.id: board.phase(view.session.id).value for view in programme.sessions},
        "phase_labels": document["labels"],
        "on_now": document["rooms"],
        "now_url": paths.path("now_json", slug=programme.event.slug),
    }


def shown_day(programme: Programme, asked: str, now: dt.datetime) -> dt.date | None:
    """The day the agenda shows: the one asked for, else today in the event's zone while it runs, else its first
    day; None for every day (``?day=all``). An unknown day is refused by ``parse_filter``."""
    if asked == ALL_DAYS:
        return None
    if asked:
        return parse_filter(programme, day=asked).day
    days = programme.event.days
    today = to_zone(now, programme.zone).date()
    return today if today in days else days[0]


def agenda_context(
    programme: Programme, agenda_filter: AgendaFilter, state: PageState, *, now: dt.datetime | None = None
) -> dict[str, Any]:
    event = programme.event
    event_zone = programme.zone
    shown_zone = ZoneInfo(state.tz) if state.tz else event_zone
    sessions = select_sessions(programme, agenda_filter)
    narrowing = dict(state.filters)
    active_filters = sum(1 for name in NARROWING_FIELDS if narrowing.get(name))
    days = build_days(
        sessions,
        rooms=programme.rooms,
        event_zone=event_zone,
        shown_zone=shown_zone,
        long_running_apart=not active_filters,
    )
    hidden_for_filters = [
        (name, value)
        for name, value in (("lang", state.lang), ("tz", state.tz), ("day", narrowing.get("day", "")))
        if value
    ]
    hidden_for_zone = [(name, value) for name, value in (("lang", state.lang), *state.filters) if value]
    session_path = state.paths.template("session", "code", slug=event.slug)  # reversed once for every card
    return {
        **base_context(state),
        "event": event,
        "dates": event_dates(event),
        "programme": programme,
        "days": days,
        "day_tabs": day_tabs(event, agenda_filter.day, state),
        "filter": agenda_filter,
        "filtering": bool(active_filters),
        "active_filters": active_filters,
        "match_count": len(sessions),
        "now": now,
        "kinds": kind_names(programme),
        "track_classes": track_classes(programme),
        "event_zone": event_zone,
        "shown_zone": shown_zone,
        "time_zone": shown_zone.key,
        "zone_label": zone_label,
        "converted": bool(state.tz),
        "zone_choices": zone_choices(event.timezone, state.tz),
        "hidden_for_filters": hidden_for_filters,
        "hidden_for_zone": hidden_for_zone,
        "event_time_url": state.url(state.path, with_filters=True, tz=EVENT_TIME),
        "clear_url": state.url(state.path),
        "clear_filters_url": state.url(state.path, day=narrowing.get("day", "")),
        "session_href": lambda code: state.url(session_path(code)),
        "exports": {ext: state.paths.path(f"schedule_{ext}", slug=event.slug) for ext in ("ics", "xml", "json")},
        "states_url": state.paths.path("viewer_states", slug=event.slug),
    }


def day_tabs(event: Event, shown: dt.date | None, state: PageState) -> list[dict[str, Any]]:
    """A link per day of the event, then one for every day; the shown one is current."""
    locale = i18n.current_locale()
    tabs = [
        {
            "label": format_skeleton("MMMEd", day, locale=locale),
            "href": state.url(state.path, with_filters=True, day=day.isoformat()),
            "current": day == shown,
            "date": day.isoformat(),
        }
        for day in event.days
    ]
    all_days = {
        "label": _("All days"),
        "href": state.url(state.path, with_filters=True, day=ALL_DAYS),
        "current": shown is None,
        "date": "",
    }
    return [*tabs, all_days]


def track_classes(programme: Programme) -> dict[int | None, str]:
    """Tracks get one of eight colours from the style sheet (style attributes are blocked by the CSP)."""
    return {track.id: f"track-{index % 8 + 1}" for index, track in enumerate(programme.tracks)}


async def session_page(request: Request) -> Response:
    def build(programme: Programme, tz: str) -> str:
        view = programme.session(request.path_params["code"])
        return render_text(request, "session.html", session_context(programme, view, page_state(request, tz=tz)))

    return await serve_cached(request, "session", build)


def session_context(programme: Programme, view: SessionView, state: PageState) -> dict[str, Any]:
    event = programme.event
    shown_zone = ZoneInfo(state.tz) if state.tz else programme.zone
    event_day = view.local_start(programme.zone).date()
    event_home = state.paths.path("agenda", slug=event.slug)
    return {
        **base_context(state),
        "event": event,
        "view": view,
        "start": view.local_start(shown_zone),
        "end": view.local_end(shown_zone),
        "shown_zone": shown_zone,
        "time_zone": shown_zone.key,
        "zone_label": zone_label,
        "converted": bool(state.tz),
        "kinds": kind_names(programme),
        "language": language_name(view.session.language),
        "abstract": paragraphs(localised(view.session, "abstract")),
        "speakers": [{"person": person, "country": country_name(person.country)} for person in view.speakers],
        "materials": programme.materials.get(view.session.id or 0, ()),
        "calendar_url": state.paths.path("session_ics", slug=event.slug, code=view.session.code),
        "agenda_url": state.url(event_home, day=event_day.isoformat()),
        "event_home": state.url(event_home),
    }


def paragraphs(text: str) -> list[str]:
    return [part.strip() for part in text.replace("\r\n", "\n").split("\n\n") if part.strip()]


# Served before every other route (see server/app.py): no other route matches these paths.
front_routes: list[BaseRoute] = [
    Route("/", events_index, name="events"),
    Route("/{slug}/", agenda, name="agenda"),
]
# After the exports, whose /{slug}/sessions/{code}.ics would otherwise be taken for a session code.
routes: list[BaseRoute] = [
    Route("/{slug}/sessions/{code}", session_page, name="session"),
]
