"""Organisers plan the interpretation channels in the back office: for a room on its edit page (every session held
there), and for one session on its live settings page, where the session follows its room or has channels of its
own (server/interpretation/plans.py)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from server.errors import InvalidInput
from server.events.models import Event
from server.i18n import gettext as _
from server.interpretation.plans import plan_room_channels, plan_session_channels, room_plan, session_plan
from server.interpretation.rules import can_plan_channels
from server.transport.auth import checked_form, form_text
from server.transport.booth_panel import language_names
from server.transport.context import database, see_other
from server.transport.loaders import EventPage, load_event_page, requires
from server.transport.notices import Notice, leave_notice
from server.transport.urls import path_for

MAX_LANGUAGES = 50


def _languages(form: Any) -> list[str]:
    return [value[:16] for value in form.getlist("languages")[:MAX_LANGUAGES] if isinstance(value, str)]


async def room_channels_context(request: Request, event: Event, room_id: int) -> dict[str, Any]:
    """What the room's edit page shows of its channels."""
    async with database(request).session() as db:
        planned = await room_plan(db, event=event, room_id=room_id)
    return {
        "channel_names": language_names(event),
        "room_channels": planned,
        "room_channels_action": path_for(request, "room_channels", slug=event.slug, room_id=room_id),
    }


async def session_channels_context(
    request: Request, event: Event, session_id: int, room_id: int | None
) -> dict[str, Any]:
    """What the session's live settings page shows of its channels: its own plan (None: as its room) and its room's."""
    async with database(request).session() as db:
        own = await session_plan(db, event=event, session_id=session_id)
        rooms = await room_plan(db, event=event, room_id=room_id) if room_id is not None else []
    names = language_names(event)
    return {
        "channel_names": names,
        "session_channels": own,
        "room_channels_label": ", ".join(names[code] for code in rooms) or _("none"),
        "session_channels_action": path_for(request, "session_channels", slug=event.slug, session_id=session_id),
    }


@requires(can_plan_channels, load_event_page)
async def room_channels_submit(request: Request, page: EventPage) -> Response:
    form = await checked_form(request)
    room_id: int = request.path_params["room_id"]
    back = path_for(request, "part_edit", slug=page.event.slug, part="room", part_id=room_id) + "#channels-heading"
    try:
        async with database(request).session() as db:
            chosen = await plan_room_channels(
                db, actor=page.actor, event=page.event, room_id=room_id, languages=_languages(form)
            )
    except InvalidInput as refusal:
        return leave_notice(request, see_other(back), Notice(refusal.message, "error"))
    return leave_notice(request, see_other(back), Notice(_saved(page.event, chosen), "success"))


@requires(can_plan_channels, load_event_page)
async def session_channels_submit(request: Request, page: EventPage) -> Response:
    form = await checked_form(request)
    session_id: int = request.path_params["session_id"]
    back = path_for(request, "session_live_settings", slug=page.event.slug, session_id=session_id) + "#channels-heading"
    follow_room = form_text(form, "follow") != "own"
    try:
        async with database(request).session() as db:
            chosen = await plan_session_channels(
                db,
                actor=page.actor,
                event=page.event,
                session_id=session_id,
                languages=None if follow_room else _languages(form),
            )
    except InvalidInput as refusal:
        return leave_notice(request, see_other(back), Notice(refusal.message, "error"))
    notice = _("The session follows its room's channels.") if chosen is None else _saved(page.event, chosen)
    return leave_notice(request, see_other(back), Notice(notice, "success"))


def _saved(event: Event, chosen: list[str]) -> str:
    if not chosen:
        return _("Saved: no interpretation channel runs.")
    names = language_names(event)
    return _("Saved: channels in %(languages)s.") % {"languages": ", ".join(names[code] for code in chosen)}


routes: list[BaseRoute] = [
    Route(
        "/{slug}/organiser/programme-parts/room/{room_id:id}/channels",
        room_channels_submit,
        methods=["POST"],
        name="room_channels",
    ),
    Route(
        "/{slug}/organiser/live/sessions/{session_id:id}/channels",
        session_channels_submit,
        methods=["POST"],
        name="session_channels",
    ),
]
