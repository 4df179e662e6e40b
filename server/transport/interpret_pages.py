"""The interpreter's console (``/{slug}/sessions/{code}/interpret/{language}``), the passes it publishes and listens
with, its on-air buttons, and the moderator's booth forms (the floor's language, taking someone off air).

On air, handover and the floor's language are HTTP posts (with the CSRF token), each calling one service in
server/interpretation/booths.py; the changes reach every console and moderator through the broadcaster, and the relay
learns the on-air account after the commit. The booth chat runs over Socket.IO (realtime/live/booths.py)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from server.accounts.actors import Actor
from server.agenda.services import Programme, SessionView
from server.errors import Conflict, InvalidInput, NotFound, PodiumError
from server.events.models import Event
from server.i18n import gettext as _
from server.interpretation import booths
from server.interpretation.booths import BoothChange, OnAirSwitch
from server.interpretation.channels import running_channels
from server.interpretation.rules import can_interpret, can_set_floor_language
from server.streams.channels import channel_key, floor_key
from server.streams.tokens import interpreter_pass, viewer_pass
from server.transport.auth import checked_form, form_text
from server.transport.booth_panel import language_names
from server.transport.context import database, private, see_other, services, settings
from server.transport.live_pages import page_context
from server.transport.loaders import load_session_page, requires
from server.transport.notices import Notice, leave_notice
from server.transport.rendering import render
from server.transport.urls import path_for, relay_path, session_path

PASS_SECONDS = 10 * 60  # a pass only opens a WHIP or WHEP session; the console asks again on each reconnection
NO_STORE = {"Cache-Control": "no-store"}
AIR_ACTIONS = ("on", "hand_over", "withdraw", "off", "connected")


def on_air_switch(request: Request) -> OnAirSwitch | None:
    """The relay control, when it can switch a channel's on-air publisher."""
    return services(request).relay_control


async def announce(request: Request, changes: list[BoothChange]) -> None:
    await booths.announce(changes, broadcaster=services(request).broadcaster, relay=on_air_switch(request))


@dataclass(frozen=True, slots=True)
class BoothPage:
    """A session page about one of its booths: the rule is asked about the booth's language."""

    event: Event
    actor: Actor
    programme: Programme
    view: SessionView
    language: str
    channels: list[str]  # every channel running in the session

    @property
    def subject(self) -> Any:
        return self.language

    @property
    def session_id(self) -> int:
        return self.view.session.id or 0


async def load_booth_page(request: Request) -> BoothPage:
    """The session and the booth of ``{language}``: "not found" unless a channel runs in that language."""
    page = await load_session_page(request)
    language = request.path_params["language"]
    async with database(request).session() as db:
        channels = await running_channels(db, event=page.event, session=page.view.session)
    if language not in channels:
        raise NotFound(_("There is no such page."))
    return BoothPage(
        event=page.event,
        actor=page.actor,
        programme=page.programme,
        view=page.view,
        language=language,
        channels=channels,
    )


@requires(can_interpret, load_booth_page)
async def console_page(request: Request, page: BoothPage) -> Response:
    event, view, language = page.event, page.view, page.language
    async with database(request).session() as db:
        state = await booths.booth_state(db, event=event, session=view.session, language=language)
        floor = await booths.floor_language(db, session=view.session)
    names = language_names(event)
    context = page_context(
        request,
        event,
        view,
        language=language,
        language_label=names.get(language, language),
        names=names,
        sources=[code for code in page.channels if code != language],
        booth=state,
        floor=booths.floor_view(page.session_id, floor),
        me=page.actor.account_id,
        pass_url=path_for(request, "interpret_pass", slug=event.slug, code=view.session.code, language=language),
        air_url=path_for(request, "interpret_air", slug=event.slug, code=view.session.code, language=language),
        room_url=session_path(request, "room", event, view),
    )
    return private(render(request, "interpret/console.html", context))


@requires(can_interpret, load_booth_page, page=False)
async def pass_json(request: Request, page: BoothPage) -> Response:
    """A fresh pass to publish into the booth's channel, and passes to hear the floor and the session's other
    channels (relay interpreting). Asked again on every (re)connection: a removed interpreter gets none."""
    secret = settings(request).secret_key
    account = f"a{page.actor.account_id}"
    expires_at = int(time.time()) + PASS_SECONDS
    key = channel_key(page.session_id, page.language)
    names = language_names(page.event)
    sources = [{"key": floor_key(page.session_id), "language": "", "label": _("Floor")}] + [
        {"key": channel_key(page.session_id, code), "language": code, "label": names.get(code, code)}
        for code in page.channels
        if code != page.language
    ]
    body = {
        "whip_url": relay_path("whip", key),
        "token": interpreter_pass(secret, key, account, expires_at=expires_at),
        "expires_at": expires_at,
        "sources": [
            {
                **source,
                "url": relay_path("whep", source["key"]),
                "token": viewer_pass(secret, source["key"], account, expires_at=expires_at),
            }
            for source in sources
        ],
    }
    return JSONResponse(body, headers=NO_STORE)


@requires(can_interpret, load_booth_page, page=False)
async def air_submit(request: Request, page: BoothPage) -> Response:
    """Go on air (or take over an offered booth), hand over, withdraw the offer, go off air, or say the microphone
    (re)connected so the relay learns the booth's on-air account again. Answers the booth's state, or the refusal."""
    form = await checked_form(request)
    action = form_text(form, "action")
    if action not in AIR_ACTIONS:
        return JSONResponse({"error": _("There is no such booth action.")}, status_code=400, headers=NO_STORE)
    arguments: dict[str, Any] = {
        "actor": page.actor,
        "event": page.event,
        "session": page.view.session,
        "language": page.language,
    }
    try:
        async with database(request).session() as db:
            if action == "on":
                change = await booths.go_on_air(db, **arguments)
            elif action in ("hand_over", "withdraw"):
                change = await booths.hand_over(db, **arguments, offered=action == "hand_over")
            elif action == "off":
                change = await booths.go_off_air(db, **arguments)
            else:
                change = await booths.on_air_now(db, **arguments)
    except (Conflict, InvalidInput) as refusal:
        return JSONResponse({"error": refusal.message}, status_code=refusal.status_code, headers=NO_STORE)
    await announce(request, [change])
    return JSONResponse({"booth": change.view}, headers=NO_STORE)


@requires(can_set_floor_language, load_session_page)
async def floor_submit(request: Request, page: Any) -> Response:
    """The moderator's form: the language the floor speaks now."""
    form = await checked_form(request)
    back = session_path(request, "moderate", page.event, page.view) + "#booths-panel"
    try:
        async with database(request).session() as db:
            change = await booths.set_floor_language(
                db, actor=page.actor, event=page.event, session=page.view.session, language=form_text(form, "language")
            )
    except InvalidInput as refusal:
        return leave_notice(request, see_other(back), Notice(refusal.message, "error"))
    await announce(request, [change])
    notice = _("The booths now see the floor in %(language)s.") % {"language": change.view["language_name"]}
    return leave_notice(request, see_other(back), Notice(notice, "success"))


@requires(can_set_floor_language, load_session_page)
async def off_air_submit(request: Request, page: Any) -> Response:
    """The moderator takes a booth's interpreter off air (a console left on air by someone who walked away)."""
    form = await checked_form(request)
    back = session_path(request, "moderate", page.event, page.view) + "#booths-panel"
    try:
        async with database(request).session() as db:
            change = await booths.go_off_air(
                db, actor=page.actor, event=page.event, session=page.view.session, language=form_text(form, "language")
            )
    except (Conflict, InvalidInput) as refusal:
        return leave_notice(request, see_other(back), Notice(refusal.message, "error"))
    await announce(request, [change])
    return leave_notice(request, see_other(back), Notice(_("The booth is off air."), "success"))


@requires(can_set_floor_language, load_session_page, page=False)
async def booths_status_json(request: Request, page: Any) -> Response:
    """For the moderator's booth panel, every few seconds: each booth's state and whose microphones are connected
    to the relay (``publishers`` of the channel; None when no relay answers)."""
    async with database(request).session() as db:
        states = await booths.booths_of(db, event=page.event, session=page.view.session)
        names = await booths.account_names(db, page.event)
    control = services(request).relay_control
    for state in states:
        state["connected"] = None
        if control is None:
            continue
        try:
            found = await control.status(channel_key(page.session_id, state["language"]))
        except PodiumError:
            continue
        state["connected"] = [names.get(key, key) for key in found.get("publishers", []) if isinstance(key, str)]
    return JSONResponse({"booths": states}, headers=NO_STORE)


routes: list[BaseRoute] = [
    Route("/{slug}/sessions/{code}/interpret/{language}", console_page, methods=["GET"], name="interpret"),
    Route("/{slug}/sessions/{code}/interpret/{language}/pass", pass_json, methods=["GET"], name="interpret_pass"),
    Route("/{slug}/sessions/{code}/interpret/{language}/air", air_submit, methods=["POST"], name="interpret_air"),
    Route("/{slug}/sessions/{code}/booths/status", booths_status_json, methods=["GET"], name="booth_status"),
    Route("/{slug}/sessions/{code}/booths/floor", floor_submit, methods=["POST"], name="booth_floor"),
    Route("/{slug}/sessions/{code}/booths/off-air", off_air_submit, methods=["POST"], name="booth_off_air"),
]
