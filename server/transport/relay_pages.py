"""The back office's Relays page: the media relays the registry knows (server/relays), their load, how long ago each
last beat, what is wrong with one, and which of the event's sessions each carries (server/organising/relay_board.py).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from server.clock import utcnow
from server.organising.relay_board import relay_board
from server.organising.rules import can_see_relays
from server.transport.backoffice import render_backoffice
from server.transport.context import database, settings
from server.transport.loaders import EventPage, load_event_page, requires


@requires(can_see_relays, load_event_page)
async def relays_page(request: Request, page: EventPage) -> Response:
    dead_after = settings(request).relay_dead_after
    async with database(request).session() as db:
        board = await relay_board(db, actor=page.actor, event=page.event, now=utcnow(), dead_after=dead_after)
    context = {"relays": board, "dead_after": round(dead_after)}
    return render_backoffice(request, page, "backoffice/relays.html", context, section="relays")


routes: list[BaseRoute] = [
    Route("/{slug}/organiser/relays", relays_page, methods=["GET"], name="relays"),
]
