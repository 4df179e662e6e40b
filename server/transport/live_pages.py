"""The live rooms' pages: the room, the moderator console, the room screen with its QR code, the guest
page that code leads to, and the organisers' announcements. The pages are shells; the scripts in
``web/static/live/`` fill them over Socket.IO (realtime/live/PROTOCOL.md)."""

from __future__ import annotations

import base64
import datetime as dt
import secrets
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from server.accounts.actors import Actor
from server.accounts.models import Account
from server.accounts.rules import is_delegate
from server.agenda.services import Programme, SessionView
from server.broadcast import Broadcaster, publish
from server.captions.rules import can_open_captioner
from server.captions.services import caption_languages
from server.errors import Forbidden, InvalidInput, NotFound
from server.events.models import Event
from server.formats import language_name
from server.i18n import current_language
from server.i18n import gettext as _
from server.interpretation.channels import running_channels
from server.live.access import (
    Identity,
    Participant,
    RoomGrant,
    admit,
    read_room_token,
    room_rules,
)
from server.live.announcements import current_announcements, post_announcement, remove_announcement
from server.live.hall import hall_code
from server.live.rules import can_announce, can_moderate
from server.permissions import allows
from server.registration.badges import qr_svg
from server.transport.auth import checked_form, form_text
from server.transport.booth_panel import moderator_booths
from server.transport.context import database, here, private, see_other, services, settings
from server.transport.live_text import client_text
from server.transport.loaders import EventPage, SessionPage, load_event_page, load_session_page, requires
from server.transport.rendering import render
from server.transport.urls import SiteUrls, path_for, relay_path, session_path, sign_in_path, with_query
from server.transport.zones import shown_zone

MAX_ANNOUNCEMENT = 1000


def page_context(request: Request, event: Event, view: SessionView, **extra: Any) -> dict[str, Any]:
    """What every live page shows of its session, and the words its script needs."""
    zone = shown_zone(request, event, getattr(request.state, "account", None))  # read by the loader, if signed in
    return {
        "event": event,
        "view": view,
        "session_url": session_path(request, "session", event, view),
        "start": view.local_start(zone),
        "end": view.local_end(zone),
        "zone": zone,
        "time_zone": zone.key,
        "text": client_text(),
        **extra,
    }


async def channel_choices(request: Request, event: Event, view: SessionView) -> list[dict[str, str]]:
    """The session's running interpretation channels as the player and the hall offer them: code and name."""
    async with database(request).session() as db:
        running = await running_channels(db, event=event, session=view.session)
    return [{"code": code, "name": language_name(code)} for code in running]


async def admitted(
    request: Request, account: Account, view: SessionView, *, grant: RoomGrant | None = None
) -> Participant:
    """The same rule the live room applies on ``join``: raises Forbidden with the reason."""
    async with database(request).session() as db:
        return await admit(
            db,
            identity=Identity(account=account, grant=grant),
            session_id=view.session.id or 0,
            secret=settings(request).secret_key,
        )


def named_languages(languages: list[str]) -> list[tuple[str, str]]:
    """(code, name in the reader's language) of each language."""
    return [(code, language_name(code, locale=current_language().code)) for code in languages]


async def caption_menu(request: Request, event: Event, view: SessionView) -> list[tuple[str, str]]:
    """The caption languages a viewer of the session may choose (server/captions), named."""
    async with database(request).session() as db:
        languages = await caption_languages(db, event=event, session_id=view.session.id or 0)
    return named_languages(languages)


def refused(request: Request, event: Event, view: SessionView, *, message: str, actor: Actor) -> Response:
    """A clear page instead of the room: what is missing, and where to get it."""
    context = page_context(
        request,
        event,
        view,
        message=message,
        signed_in=not actor.is_anonymous,
        registered=allows(actor, is_delegate),
        sign_in_url=sign_in_path(request, here(request)),
        register_url=path_for(request, "register", slug=event.slug),
        pick_url=session_path(request, "pick", event, view),
    )
    return private(render(request, "live/entry.html", context, status_code=403))


async def room_page(request: Request) -> Response:
    page = await load_session_page(request)
    event, view, actor, account = page.event, page.view, page.actor, page.actor.account
    if account is None:
        return refused(request, event, view, message=_("Please sign in to enter the live room."), actor=actor)
    try:
        participant = await admitted(request, account, view)
    except Forbidden as refusal:
        return refused(request, event, view, message=refusal.message, actor=actor)
    context = page_context(
        request,
        event,
        view,
        participant=participant,
        whep_url=relay_path("whep", str(view.session.id)),
        audio_channels=await channel_choices(request, event, view),
        console_url=session_path(request, "moderate", event, view),
        screen_url=session_path(request, "screen", event, view),
        caption_languages=await caption_menu(request, event, view),
        caption_url=session_path(request, "caption", event, view) if allows(actor, can_open_captioner) else "",
    )
    return private(render(request, "live/room.html", context))


@requires(can_moderate, load_session_page)
async def moderate_page(request: Request, page: SessionPage) -> Response:
    event, view, actor = page.event, page.view, page.actor
    context = page_context(
        request,
        event,
        view,
        room_url=session_path(request, "room", event, view),
        screen_url=session_path(request, "screen", event, view),
        announcements_url=path_for(request, "announcements", slug=event.slug) if allows(actor, can_announce) else "",
        actor=actor,
        stream_notice=request.query_params.get("stream", ""),
        **await moderator_booths(request, event, view),
    )
    return private(render(request, "live/moderate.html", context))


def hall_url(request: Request, code: str) -> str:
    """Where the room screen's QR code leads: the short address of the room's phone page (hall_pages.py)."""
    return SiteUrls.of(request).url("hall", code=code)


def qr_image(url: str) -> str:
    """The QR code of ``url`` as an image address the page (and its script) can set, within the CSP."""
    return "data:image/svg+xml;base64," + base64.b64encode(qr_svg(url).encode()).decode("ascii")


def now_and_next(
    programme: Programme, view: SessionView, moment: dt.datetime
) -> tuple[SessionView, bool, SessionView | None]:
    """The session running in this room now (or this page's session when none is), whether it is
    running, and the one after it in the same room."""
    in_room = [other for other in programme.sessions if other.room.id == view.room.id]
    running = next((other for other in in_room if other.session.start <= moment < other.session.end), None)
    current = running or view
    later = [other for other in in_room if other.session.start > current.session.start]
    return current, running is not None, (later[0] if later else None)


@requires(can_moderate, load_session_page)
async def screen_page(request: Request, page: SessionPage) -> Response:
    event, programme, view = page.event, page.programme, page.view
    moment = dt.datetime.now(dt.UTC)
    current, running, following = now_and_next(programme, view, moment)
    boundaries = [current.session.end, *([following.session.start] if following else [])]
    upcoming = [boundary for boundary in boundaries if boundary > moment]
    async with database(request).session() as db:
        code = await hall_code(db, event_id=event.id or 0, session_id=view.session.id or 0)
    url = hall_url(request, code)
    short = SiteUrls.of(request).url("hall_entry")
    context = page_context(
        request,
        event,
        view,
        current=current,
        running=running,
        following=following,
        guest_url=url,
        hall_code=code,
        short_address=short.split("://", 1)[-1],
        qr=qr_image(url),
        refresh_at=min(upcoming).isoformat() if upcoming else "",
        # The hall's captions: ``?captions=ja`` on the screen's address, one of the session's caption languages.
        screen_captions=next(
            (
                choice
                for choice in await caption_menu(request, event, view)
                if choice[0] == request.query_params.get("captions")
            ),
            None,
        ),
    )
    return private(render(request, "live/screen.html", context))


async def ask_page(request: Request) -> Response:
    """The phone page of a room token (the screen's QR code before the short codes of hall_pages.py): any valid
    token for this very room opens it, for as long as the token lasts."""
    page = await load_session_page(request)
    event, view, actor, account = page.event, page.view, page.actor, page.actor.account
    token = request.query_params.get("token", "")
    try:
        grant = read_room_token(settings(request).secret_key, token)
    except InvalidInput as error:
        raise NotFound(error.message) from None
    if grant.event_id != event.id or grant.session_id != view.session.id:
        raise NotFound(_("This room code is not valid."))
    if account is not None:
        try:
            await admitted(request, account, view, grant=grant)
        except Forbidden as error:
            return refused(request, event, view, message=error.message, actor=actor)
    else:
        async with database(request).session() as db:
            rules = await room_rules(db, event_id=event.id or 0, session_id=view.session.id or 0)
        if not rules.anonymous_guests:
            message = _("Please sign in to ask questions and vote in this room.")
            return refused(request, event, view, message=message, actor=actor)
    return private(render(request, "live/ask.html", page_context(request, event, view, room_token=token)))


# Announcements


def broadcaster(request: Request) -> Broadcaster:
    """The live server when the app runs with Socket.IO; otherwise the rooms catch up when they join."""
    return services(request).broadcaster


async def _announcements_form(request: Request, event: Event, *, error: str = "", text: str = "") -> Response:
    async with database(request).session() as db:
        current = await current_announcements(db, event_id=event.id or 0)
    context = {
        "event": event,
        "announcements": list(reversed(current)),
        "client_id": secrets.token_urlsafe(16),
        "error": error,
        "text": text,
        "limit": MAX_ANNOUNCEMENT,
        "posted": request.query_params.get("posted") == "1",
    }
    return private(render(request, "live/announcements.html", context, status_code=400 if error else 200))


@requires(can_announce, load_event_page)
async def announcements_page(request: Request, page: EventPage) -> Response:
    return await _announcements_form(request, page.event)


@requires(can_announce, load_event_page)
async def announcement_post(request: Request, page: EventPage) -> Response:
    form = await checked_form(request)
    event, actor = page.event, page.actor
    text = form_text(form, "text")
    try:
        async with database(request).session() as db:
            outcome = await post_announcement(
                db, actor=actor, event=event, text=text, client_id=form_text(form, "client_id")
            )
    except InvalidInput as problem:
        return await _announcements_form(request, event, error=problem.message, text=text[:MAX_ANNOUNCEMENT])
    await publish(broadcaster(request), outcome)
    return see_other(with_query(path_for(request, "announcements", slug=event.slug), posted="1"))


@requires(can_announce, load_event_page)
async def announcement_remove(request: Request, page: EventPage) -> Response:
    await checked_form(request)
    event, actor = page.event, page.actor
    async with database(request).session() as db:
        outcome = await remove_announcement(
            db, actor=actor, event=event, announcement_id=request.path_params["announcement_id"]
        )
    await publish(broadcaster(request), outcome)
    return see_other(path_for(request, "announcements", slug=event.slug))


routes: list[BaseRoute] = [
    Route("/{slug}/sessions/{code}/room", room_page, methods=["GET"], name="room"),
    Route("/{slug}/sessions/{code}/moderate", moderate_page, methods=["GET"], name="moderate"),
    Route("/{slug}/sessions/{code}/screen", screen_page, methods=["GET"], name="screen"),
    Route("/{slug}/sessions/{code}/ask", ask_page, methods=["GET"], name="ask"),
    Route("/{slug}/organiser/announcements", announcements_page, methods=["GET"], name="announcements"),
    Route("/{slug}/organiser/announcements", announcement_post, methods=["POST"], name="announcements"),
    Route(
        "/{slug}/organiser/announcements/{announcement_id:id}/remove",
        announcement_remove,
        methods=["POST"],
        name="announcement_remove",
    ),
]
