"""The hall in two steps: the short address ``/j`` (one box for the room's code) and ``/j/CODE``, the phone page
the room screen's QR code opens, which asks and votes at once; ``/j/CODE/listen`` makes the phone a headset for
the session's interpretation channels. Signed-out people take part as guests where the
event allows them, remembered on their phone by a signed, HttpOnly cookie (server/live/guests.py); a guest who
signs in later keeps their questions and votes (``adopt_remembered_guest``, called by the sign-in)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from server.agenda.models import Session
from server.broadcast import publish
from server.errors import Forbidden, InvalidInput, NotFound, RateLimited
from server.events.models import Event
from server.i18n import gettext as _
from server.live.access import RoomGrant, room_rules, room_token
from server.live.guests import (
    GUEST_COOKIE,
    GUEST_COOKIE_MAX_AGE,
    MAX_GUEST_NAME,
    GuestCard,
    adopt_guest,
    guest_card,
    guest_name,
    new_guest,
    read_guest_card,
)
from server.live.hall import CODE_LENGTH, find_hall_code, normalised
from server.transport.auth import checked_form, client_ip, form_text, set_private_cookie
from server.transport.context import database, private, see_other, services, settings
from server.transport.live_pages import admitted, broadcaster, channel_choices, page_context, refused
from server.transport.loaders import SessionPage, load_session_page
from server.transport.rendering import render
from server.transport.throttle import throttle
from server.transport.urls import path_for, sign_in_path

MAX_TYPED = 40  # more than any code with spaces and a '#': longer input is not kept in the box


def entry_form(request: Request, *, typed: str = "", error: str = "", status_code: int = 200) -> Response:
    """The page of the short address: one box for the room's code, and the problem with what was typed."""
    context = {"typed": typed[:MAX_TYPED], "error": error, "code_length": CODE_LENGTH}
    return private(render(request, "live/hall_entry.html", context, status_code=status_code))


def unknown_code(request: Request, typed: str) -> Response:
    message = _("There is no room with the code “%(code)s”. Please check the code on the room's screen.")
    return entry_form(request, typed=typed, error=message % {"code": typed[:MAX_TYPED]}, status_code=404)


async def hall_entry(request: Request) -> Response:
    """``/j``, and ``/j?code=…`` from its form: a known code goes on to its room's page."""
    if "code" not in request.query_params:
        return entry_form(request)
    typed = request.query_params["code"]
    if not typed.strip():
        return entry_form(request, error=_("Please type the code shown on the room's screen."), status_code=400)
    code = normalised(typed)
    async with database(request).session() as db:
        found = await find_hall_code(db, typed=code) if code else None
    if found is None:
        return unknown_code(request, typed)
    return see_other(path_for(request, "hall", code=found.code))


async def _hall_session(request: Request) -> SessionPage | None:
    """The event and session of the code in the path, as their own pages load them (a draft's is "not found")."""
    async with database(request).session() as db:
        found = await find_hall_code(db, typed=request.path_params["code"])
        if found is None:
            return None
        event = await db.get(Event, found.event_id)
        session = await db.get(Session, found.session_id)
    if event is None or session is None:
        return None
    # The session pages' own loader reads the event and session from these path parameters.
    request.scope["path_params"].update(slug=event.slug, code=session.code)
    try:
        return await load_session_page(request)
    except NotFound:
        return None


async def hall_page(request: Request) -> Response:
    return await _hall_response(request)


async def hall_listen(request: Request) -> Response:
    """``/j/CODE/listen``: the phone as a headset. Audio only, one button per running interpretation channel,
    for the same people as the hall page (guests where the room allows them)."""
    visit = await _hall_visit(request, "hall_listen")
    if isinstance(visit, Response):
        return visit
    page, context, card = visit
    event, view = page.event, page.view
    context["hall"]["channels"] = await channel_choices(request, event, view)
    context["hall"]["pass_url"] = path_for(request, "stream_pass", slug=event.slug, code=view.session.code)
    context["hall"]["ask_url"] = path_for(request, "hall", code=context["hall"]["code"])
    response = render(request, "live/listen.html", page_context(request, event, view, **context))
    if card is not None:
        remember(request, response, card)
    return private(response)


async def _hall_visit(
    request: Request, route: str, *, card: GuestCard | None = None, name_error: str = ""
) -> Response | tuple[SessionPage, dict[str, Any], GuestCard | None]:
    """Who opens a hall page, by the rules of the room of the code in the path: the page, what its template needs
    and the guest's card (None for an account); or the response instead (a refusal, an unknown code)."""
    typed = request.path_params["code"]
    code = normalised(typed)
    if code and code != typed:
        return see_other(path_for(request, route, code=code))
    page = await _hall_session(request) if code else None
    if page is None:
        return unknown_code(request, typed)
    event, view, actor, account = page.event, page.view, page.actor, page.actor.account
    secret = settings(request).secret_key
    grant = RoomGrant(event_id=event.id or 0, session_id=view.session.id or 0)
    context: dict[str, Any] = {
        "room_token": room_token(secret, event_id=grant.event_id, session_id=grant.session_id),
        "hall": {
            "code": code,
            "guest": account is None,
            "name_url": path_for(request, "hall_name", code=code),
            "name_limit": MAX_GUEST_NAME,
            "name_error": name_error,
            "sign_in_url": sign_in_path(request, path_for(request, route, code=code)),
            "listen_url": path_for(request, "hall_listen", code=code),
        },
    }
    if account is not None:
        try:
            await admitted(request, account, view, grant=grant)
        except Forbidden as error:
            return refused(request, event, view, message=error.message, actor=actor)
        return page, context, None
    async with database(request).session() as db:
        rules = await room_rules(db, event_id=grant.event_id, session_id=grant.session_id)
    if not rules.anonymous_guests:
        message = _("This room takes questions from people who are signed in. Please sign in to ask and vote.")
        return refused(request, event, view, message=message, actor=actor)
    remembered = card or read_guest_card(secret, request.cookies.get(GUEST_COOKIE, ""))
    if remembered is None:
        try:  # anyone can start over as a new guest: new guests are counted by address
            await throttle(services(request), "hall-guests", settings(request).live_guests_per_address).check(
                client_ip(request)
            )
        except RateLimited:
            message = _("Too many new guests from your network just now. Please try again in a minute.")
            return entry_form(request, typed=code, error=message, status_code=429)
        remembered = new_guest()
    context["hall"]["name"] = remembered.name
    return page, context, remembered


async def _hall_response(request: Request, *, card: GuestCard | None = None, name_error: str = "") -> Response:
    visit = await _hall_visit(request, "hall", card=card, name_error=name_error)
    if isinstance(visit, Response):
        return visit
    page, context, remembered = visit
    context["hall"]["listen"] = bool(await channel_choices(request, page.event, page.view))
    status_code = 400 if name_error else 200
    response = render(request, "live/ask.html", page_context(request, page.event, page.view, **context), status_code)
    if remembered is not None:
        remember(request, response, remembered)
    return private(response)


def remember(request: Request, response: Response, card: GuestCard) -> None:
    """The guest's card on their phone for a year or more: each visit renews it."""
    value = guest_card(settings(request).secret_key, card)
    set_private_cookie(request, response, GUEST_COOKIE, value, max_age=GUEST_COOKIE_MAX_AGE)


async def hall_name(request: Request) -> Response:
    """A guest's optional display name, shown with their questions from their next one on."""
    form = await checked_form(request, by_field=True)
    code = normalised(request.path_params["code"])
    secret = settings(request).secret_key
    card = read_guest_card(secret, request.cookies.get(GUEST_COOKIE, ""))
    if card is None or not code:
        return see_other(path_for(request, "hall", code=code or "-"))
    try:
        name = guest_name(form_text(form, "name"))
    except InvalidInput as problem:
        return await _hall_response(request, card=card, name_error=problem.message)
    response = see_other(path_for(request, "hall", code=code))
    remember(request, response, GuestCard(guest_id=card.guest_id, name=name))
    return response


async def adopt_remembered_guest(request: Request, response: Response, *, account_id: int) -> None:
    """Called as someone signs in: what the guest remembered on this browser did becomes the account's, and the
    browser forgets the guest (a later sign-out starts a new one)."""
    card = read_guest_card(settings(request).secret_key, request.cookies.get(GUEST_COOKIE, ""))
    if card is None:
        return
    async with database(request).session() as db:
        outcome = await adopt_guest(db, account_id=account_id, guest=card)
    await publish(broadcaster(request), outcome)
    response.delete_cookie(GUEST_COOKIE)


routes: list[BaseRoute] = [
    Route("/j", hall_entry, methods=["GET"], name="hall_entry"),
    Route("/j/{code}", hall_page, methods=["GET"], name="hall"),
    Route("/j/{code}/name", hall_name, methods=["POST"], name="hall_name"),
    Route("/j/{code}/listen", hall_listen, methods=["GET"], name="hall_listen"),
]
