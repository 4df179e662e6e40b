"""The public, read-only JSON API of the agenda, ``/api/v1/`` (writes with a token: ``api_write``).

Each output shape is built by its own small function from the read model, so a new column never
leaks into the API by accident. Errors are rendered as JSON by ``server.transport.errors``.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute

from server.agenda.models import Person, Room, Track
from server.agenda.services import Programme, SessionView, parse_filter, select_sessions
from server.app_services import services_of
from server.events.models import Event
from server.links import Links
from server.phases.board import PhaseBoard
from server.phases.rule import Phase, current_time, phase_of
from server.transport.api_spec import Endpoint, routes_of
from server.transport.context import listed_events
from server.transport.page_cache import serve_cached
from server.transport.phase_pages import board_for_slug
from server.transport.urls import SiteUrls

# Query parameter → parse_filter argument; the same names the agenda page uses.
FILTER_PARAMETERS = {"q": "query", "day": "day", "track": "track", "room": "room", "kind": "kind"}


def _isoformat(moment: dt.datetime) -> str:
    return moment.isoformat(timespec="seconds")


# Output shapes


def event_out(event: Event, *, links: Links) -> dict[str, Any]:
    return {
        "slug": event.slug,
        "title": event.title,
        "acronym": event.acronym,
        "timezone": event.timezone,
        "start_date": event.start_date.isoformat(),
        "end_date": event.end_date.isoformat(),
        "venue": event.venue,
        "city": event.city,
        "country": event.country,
        "languages": event.language_list,
        "attendance": event.attendance,
        "translations": event.translations,
        "url": links.event_page(event.slug),
    }


def room_out(room: Room) -> dict[str, Any]:
    return {"slug": room.slug, "name": room.name, "translations": room.translations}


def room_detail_out(room: Room) -> dict[str, Any]:
    return {**room_out(room), "description": room.description, "capacity": room.capacity}


def track_out(track: Track | None) -> dict[str, Any] | None:
    if track is None:
        return None
    return {"slug": track.slug, "name": track.name, "color": track.color, "translations": track.translations}


def speaker_out(person: Person) -> dict[str, Any]:
    return {"slug": person.slug, "name": person.name, "organisation": person.organisation, "country": person.country}


def session_out(
    view: SessionView, *, zone: ZoneInfo, event_slug: str, links: Links, board: PhaseBoard | None = None
) -> dict[str, Any]:
    session = view.session
    return {
        "code": session.code,
        "guid": str(session.guid),
        "title": session.title,
        "abstract": session.abstract,
        "kind": session.kind,
        "start": _isoformat(view.local_start(zone)),
        "end": _isoformat(view.local_end(zone)),
        "room": room_out(view.room),
        "track": track_out(view.track),
        "language": session.language,
        "translations": session.translations,
        "cancelled": session.cancelled,
        # The same phase every page shows (server/phases): upcoming, starting_soon, live, ended, replay, cancelled.
        "phase": (board.phase(session.id) if board else schedule_phase(view)).value,
        "speakers": [speaker_out(person) for person in view.speakers],
        "url": links.session_page(event_slug, session.code),
    }


def schedule_phase(view: SessionView) -> Phase:
    """A session's phase from its schedule alone, where no board was read (a write's answer)."""
    session = view.session
    return phase_of(
        start=session.start,
        end=session.end,
        cancelled=session.cancelled,
        streamed=view.room.streamed,
        on_air=False,
        replay_ready=False,
        now=current_time(),
    )


def event_detail_out(programme: Programme, *, links: Links) -> dict[str, Any]:
    event = programme.event
    return {
        **event_out(event, links=links),
        "description": event.description,
        "days": [day.isoformat() for day in event.days],
        "rooms": [room_detail_out(room) for room in programme.rooms],
        "tracks": [track_out(track) for track in programme.tracks],
    }


# Endpoints


JSON = "application/json"


def _dumps(document: Any) -> str:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"))


async def events_index(request: Request) -> Response:
    async with services_of(request.app).database.session() as db:
        events = await listed_events(db)
    links = SiteUrls.of(request)
    return JSONResponse({"events": [event_out(event, links=links) for event in events]})


# The event's documents are served from the page cache: a hit reads one statement, however many sessions.


async def event_detail(request: Request) -> Response:
    def build(programme: Programme, _tz: str) -> str:
        return _dumps(event_detail_out(programme, links=SiteUrls.of(request)))

    return await serve_cached(request, "api-event", build, media_type=JSON)


# A session's phase moves with the clock and the relay: the cached documents are keyed by the board's stamp too.


async def sessions_index(request: Request) -> Response:
    stamp, board = await board_for_slug(request)

    def build(programme: Programme, _tz: str) -> str:
        arguments = {name: request.query_params.get(param, "") for param, name in FILTER_PARAMETERS.items()}
        chosen = select_sessions(programme, parse_filter(programme, **arguments))
        links = SiteUrls.of(request)
        event_slug = programme.event.slug
        sessions = [
            session_out(view, zone=programme.zone, event_slug=event_slug, links=links, board=board) for view in chosen
        ]
        return _dumps({"count": len(sessions), "sessions": sessions})

    return await serve_cached(
        request, "api-sessions", build, media_type=JSON, moment=board and board.stamp, stamp=stamp
    )


async def session_detail(request: Request) -> Response:
    stamp, board = await board_for_slug(request)

    def build(programme: Programme, _tz: str) -> str:
        view = programme.session(request.path_params["code"])
        links = SiteUrls.of(request)
        return _dumps(session_out(view, zone=programme.zone, event_slug=programme.event.slug, links=links, board=board))

    return await serve_cached(request, "api-session", build, media_type=JSON, moment=board and board.stamp, stamp=stamp)


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


_TEXT = {"type": "string"}
# Texts in the event's other languages (the main fields hold its default language): {"ja": {"title": "…"}}.
_TRANSLATIONS = {
    "type": "object",
    "description": "texts in the event's other languages, by language then field",
    "additionalProperties": {"type": "object", "additionalProperties": {"type": "string"}},
}
# The output shapes above as JSON Schema, for the OpenAPI description (server/transport/api_spec.py).
SCHEMAS: dict[str, Any] = {
    "Event": {
        "type": "object",
        "properties": {
            **{name: _TEXT for name in ("slug", "title", "acronym", "timezone", "venue", "city", "country")},
            "start_date": {"type": "string", "format": "date"},
            "end_date": {"type": "string", "format": "date"},
            "languages": {"type": "array", "items": _TEXT},
            "attendance": {"enum": ["hybrid", "on-site", "online"]},
            "url": {"type": "string", "format": "uri"},
            "translations": _TRANSLATIONS,
        },
    },
    "Room": {"type": "object", "properties": {"slug": _TEXT, "name": _TEXT, "translations": _TRANSLATIONS}},
    "Track": {
        "type": ["object", "null"],
        "properties": {"slug": _TEXT, "name": _TEXT, "color": _TEXT, "translations": _TRANSLATIONS},
    },
    "Speaker": {
        "type": "object",
        "properties": {"slug": _TEXT, "name": _TEXT, "organisation": _TEXT, "country": _TEXT},
    },
    "Session": {
        "type": "object",
        "properties": {
            **{name: _TEXT for name in ("code", "title", "abstract", "kind", "language")},
            "guid": {"type": "string", "format": "uuid"},
            "start": {"type": "string", "format": "date-time"},
            "end": {"type": "string", "format": "date-time"},
            "room": _ref("Room"),
            "track": _ref("Track"),
            "speakers": {"type": "array", "items": _ref("Speaker")},
            "url": {"type": "string", "format": "uri"},
            "translations": _TRANSLATIONS,
            "cancelled": {"type": "boolean"},
            "phase": {"enum": [phase.value for phase in Phase]},
        },
    },
}
_FILTERS = (
    ("q", "words in the title, abstract or speakers"),
    ("day", "a day of the event, YYYY-MM-DD"),
    ("track", "a track's slug"),
    ("room", "a room's slug"),
    ("kind", "a session kind"),
)
ENDPOINTS: list[Endpoint] = [
    Endpoint(
        "GET",
        "/api/v1/events",
        "api_events",
        events_index,
        "The events",
        response={"type": "object", "properties": {"events": {"type": "array", "items": _ref("Event")}}},
    ),
    Endpoint(
        "GET",
        "/api/v1/events/{slug}",
        "api_event",
        event_detail,
        "One event with its rooms, tracks and days",
        response=_ref("Event"),
    ),
    Endpoint(
        "GET",
        "/api/v1/events/{slug}/sessions",
        "api_sessions",
        sessions_index,
        "The event's sessions, filtered as the programme page filters them",
        response={
            "type": "object",
            "properties": {"count": {"type": "integer"}, "sessions": {"type": "array", "items": _ref("Session")}},
        },
        query=_FILTERS,
    ),
    Endpoint(
        "GET",
        "/api/v1/events/{slug}/sessions/{code}",
        "api_session",
        session_detail,
        "One session",
        response=_ref("Session"),
    ),
]
routes: list[BaseRoute] = routes_of(ENDPOINTS)
