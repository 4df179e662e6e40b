"""What is live, everywhere: each session's phase (server/phases) for pages, the API and ``/{slug}/now.json``.

The agenda, the session page, the room page and the API all read the app's one ``PhaseBoards``; ``now.json``
carries every session's phase and each room's "on now" and "next" for the scripts that keep pages current
without a reload (web/static/agenda.js, phases.js, live/player_controls.js)."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from server import i18n
from server.agenda.services import Programme, SessionView, load_programme
from server.app_services import services_of
from server.i18n import gettext as _
from server.i18n import localised
from server.phases.board import PhaseBoard
from server.phases.now import rooms_now
from server.phases.rule import Phase
from server.transport import event_stamps
from server.transport.context import event_of
from server.transport.event_stamps import EventStamp
from server.transport.urls import RoutePaths, paths_of

JSON = "application/json"


def phase_labels() -> dict[str, str]:
    """The words for each phase, in the page's language: the same on every page."""
    return {
        Phase.upcoming: _("Upcoming"),
        Phase.starting_soon: _("Starting soon"),
        Phase.live: _("Live"),
        Phase.ended: _("Ended"),
        Phase.replay: _("Replay available"),
        Phase.cancelled: _("Cancelled"),
    }


async def board_of(request: Request, event_id: int, version: int) -> PhaseBoard:
    """The event's phase board: a moment old at most, read in two statements when it is not."""
    services = services_of(request.app)
    control = services.relay_control
    return await services.phase_boards.board(
        services.database.session, event_id=event_id, version=version, ask=control.live if control else None
    )


async def board_for_slug(request: Request) -> tuple[EventStamp | None, PhaseBoard | None]:
    """The stamp and board of ``{slug}``'s event; (None, None) for no such event (the page then answers 404). The
    stamp goes on to ``serve_cached``, so a cached page still costs one statement."""
    stamp = await event_stamps.for_app(request.app).get(request.path_params["slug"])
    if stamp is None:
        return None, None
    return stamp, await board_of(request, stamp.id, stamp.version)


def _item(view: SessionView, board: PhaseBoard, labels: dict[str, str], paths: RoutePaths, slug: str) -> dict[str, Any]:
    session = view.session
    phase = board.phase(session.id)
    return {
        "code": session.code,
        "title": localised(session, "title"),
        "start": session.start.isoformat(),
        "end": session.end.isoformat(),
        "phase": phase.value,
        "label": labels[phase],
        "url": paths.path("session", slug=slug, code=session.code),
        "watch_url": paths.path("room", slug=slug, code=session.code),
    }


def now_document(programme: Programme, board: PhaseBoard, paths: RoutePaths) -> dict[str, Any]:
    """Every session's phase (by code), and each room's "on now" and "next"; times in UTC."""
    labels = phase_labels()
    slug = programme.event.slug
    sessions = {}
    for view in programme.sessions:
        phase = board.phase(view.session.id)
        sessions[view.session.code] = {"phase": phase.value, "label": labels[phase]}
    rooms = [
        {
            "slug": entry.room.slug,
            "name": localised(entry.room, "name"),
            "now": _item(entry.on_now, board, labels, paths, slug) if entry.on_now else None,
            "next": _item(entry.next, board, labels, paths, slug) if entry.next else None,
        }
        for entry in rooms_now(programme, board)
    ]
    return {"now": board.now.isoformat(), "labels": labels, "sessions": sessions, "rooms": rooms}


async def now_json(request: Request) -> Response:
    """now.json is asked every few seconds by every open front page and room page: a published event's document is
    kept as long as its board, per language, so a poll costs the event's stamp (one statement) between refreshes."""
    boards = services_of(request.app).phase_boards
    stamp = await event_stamps.for_app(request.app).get(request.path_params["slug"])
    key = (stamp.id, stamp.version, i18n.current_language().code) if stamp is not None else None
    body = boards.document(key) if key is not None and stamp is not None and stamp.published else None
    if body is None:
        async with services_of(request.app).database.session() as db:
            event = await event_of(db, request)
            programme = await load_programme(db, event=event)
        board = await board_of(request, event.id or 0, event.version)
        document = now_document(programme, board, paths_of(request.app.router))
        body = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        if key is not None and event.published:
            boards.keep_document(key, body)
    # Private: a draft's document is its staff's; the browser asks afresh at each poll.
    headers = {"Cache-Control": "private, no-cache", "Vary": "Accept-Language, Cookie"}
    return Response(body, media_type=JSON, headers=headers)


routes: list[BaseRoute] = [
    Route("/{slug}/now.json", now_json, methods=["GET"], name="now_json"),
]
