"""The moderator console's booth panel (live/moderate.html): each running channel's booth, the floor's language,
and the forms that change it (server/transport/interpret_pages.py answers them)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from server.agenda.services import SessionView
from server.events.models import Event
from server.formats import language_name
from server.interpretation import booths
from server.transport.context import database
from server.transport.urls import path_for


def language_names(event: Event) -> dict[str, str]:
    """The event's languages, by code, named in the reader's language, in the event's order."""
    return {code: language_name(code) for code in event.language_list}


async def moderator_booths(request: Request, event: Event, view: SessionView) -> dict[str, Any]:
    """What the moderate page shows of the booths; no booths when no channel runs in the session."""
    async with database(request).session() as db:
        states = await booths.booths_of(db, event=event, session=view.session)
        floor = await booths.floor_language(db, session=view.session)
    code = view.session.code
    return {
        "booths": states,
        "floor": booths.floor_view(view.session.id or 0, floor),
        "floor_names": language_names(event),
        "floor_url": path_for(request, "booth_floor", slug=event.slug, code=code),
        "off_air_url": path_for(request, "booth_off_air", slug=event.slug, code=code),
        "booth_status_url": path_for(request, "booth_status", slug=event.slug, code=code),
    }
