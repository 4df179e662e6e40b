"""Signing in by emailed link, the account page, signing out (here or everywhere)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from server.accounts.actors import Actor
from server.accounts.services import (
    SESSION_LIFETIME,
    request_sign_in,
    safe_next_path,
    sign_out,
    sign_out_everywhere,
)
from server.errors import InvalidInput, RateLimited
from server.i18n import gettext as _
from server.organising.events import staff_events
from server.organising.tools import events_with_tools
from server.registration.services import registrations_of, use_sign_in_link
from server.transport.auth import (
    SESSION_COOKIE,
    checked_form,
    clear_session_cookie,
    client_ip,
    current_account,
    form_text,
    set_session_cookie,
)
from server.transport.context import database, next_from, private, see_other, settings, sign_in_redirect
from server.transport.hall_pages import adopt_remembered_guest
from server.transport.labels import attendance_labels, role_labels, status_labels
from server.transport.rendering import render
from server.transport.urls import SiteUrls, path_for
from server.transport.zones import restore_zone

MAX_TOKEN = 100


async def signin_form(request: Request) -> Response:
    next_path = safe_next_path(request.query_params.get("next", "/"))
    return render(request, "accounts/signin.html", {"next": next_path, "email": ""})


async def signin_request(request: Request) -> Response:
    form = await checked_form(request)
    next_path = next_from(form, "/")
    email = form_text(form, "email")
    async with database(request).session() as db:
        try:
            await request_sign_in(
                db, email=email, requester_ip=client_ip(request), next_path=next_path, links=SiteUrls.of(request)
            )
        except (InvalidInput, RateLimited) as error:
            context = {"next": next_path, "email": email[:254], "error": error.message}
            return render(request, "accounts/signin.html", context, error.status_code)
    return see_other(path_for(request, "signin_sent"))


async def signin_sent(request: Request) -> Response:
    return render(request, "accounts/signin_sent.html", {})


async def signin_confirm(request: Request) -> Response:
    # Opening the link only shows a button: mail scanners that follow links must not use it up.
    token = request.path_params["token"]
    if len(token) > MAX_TOKEN:
        return render(request, "accounts/signin.html", {"next": "/", "email": "", "error": expired_message()}, 400)
    return render(request, "accounts/signin_confirm.html", {"token": token})


def expired_message() -> str:
    return _("This sign-in link has expired or was already used. Please ask for a new one.")


async def signin_use(request: Request) -> Response:
    await checked_form(request)
    token = request.path_params["token"]
    previous = request.cookies.get(SESSION_COOKIE, "")
    async with database(request).session() as db:
        try:
            if len(token) > MAX_TOKEN:
                raise InvalidInput(expired_message())
            signed_in = await use_sign_in_link(db, token=token, user_agent=request.headers.get("user-agent", ""))
        except InvalidInput as error:
            context = {"next": "/", "email": "", "error": error.message}
            return render(request, "accounts/signin.html", context, error.status_code)
        if previous:
            await sign_out(db, session_token=previous)
    response = see_other(safe_next_path(signed_in.next_path))
    set_session_cookie(request, response, signed_in.session_token, max_age=int(SESSION_LIFETIME.total_seconds()))
    await adopt_remembered_guest(request, response, account_id=signed_in.account.id or 0)
    restore_zone(request, response, signed_in.account)
    return response


async def account_page(request: Request) -> Response:
    async with database(request).session() as db:
        account = await current_account(request, db)
        if account is None:
            return sign_in_redirect(request)
        registrations = await registrations_of(db, account=account)
        helping = await staff_events(db, account=account)
        tools = await events_with_tools(db, account=account)
    context = {
        "staff_events": helping,
        "event_creators": settings(request).event_creators,
        "account": account,
        "tools": tools,
        "actor": Actor(account=account),
        "registrations": registrations,
        "status_labels": status_labels(),
        "attendance_labels": attendance_labels(),
        "role_labels": role_labels(),
    }
    return private(render(request, "accounts/account.html", context))


async def signout(request: Request) -> Response:
    await checked_form(request)
    token = request.cookies.get(SESSION_COOKIE, "")
    if token:
        async with database(request).session() as db:
            await sign_out(db, session_token=token)
    response = see_other(path_for(request, "signed_out"))
    clear_session_cookie(response)
    return response


async def signout_everywhere(request: Request) -> Response:
    await checked_form(request)
    async with database(request).session() as db:
        account = await current_account(request, db)
        if account is not None:
            await sign_out_everywhere(db, account=account)
    response = see_other(path_for(request, "signed_out"))
    clear_session_cookie(response)
    return response


async def signed_out(request: Request) -> Response:
    return render(request, "accounts/signed_out.html", {})


routes: list[BaseRoute] = [
    Route("/signin", signin_form, methods=["GET"], name="signin"),
    Route("/signin", signin_request, methods=["POST"], name="signin"),
    Route("/signin/sent", signin_sent, methods=["GET"], name="signin_sent"),
    Route("/signin/{token}", signin_confirm, methods=["GET"], name="signin_link"),
    Route("/signin/{token}", signin_use, methods=["POST"], name="signin_link"),
    Route("/account", account_page, methods=["GET"], name="account"),
    Route("/signout", signout, methods=["POST"], name="signout"),
    Route("/signout/everywhere", signout_everywhere, methods=["POST"], name="signout_everywhere"),
    Route("/signout/done", signed_out, methods=["GET"], name="signed_out"),
]
