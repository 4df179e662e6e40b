"""The "Import and API" section's API tokens page: make a token (its secret shown once), see and revoke them."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from server.clock import utcnow
from server.errors import InvalidInput
from server.organising.api_tokens import TokenInput, create_token, event_tokens, revoke_token
from server.organising.models import TokenScope
from server.organising.rules import can_manage_api_tokens
from server.transport.auth import checked_form, form_text
from server.transport.backoffice import render_backoffice
from server.transport.context import database, see_other, services
from server.transport.loaders import EventPage, load_event_page, requires
from server.transport.throttle import throttle
from server.transport.urls import path_for

TOKENS_PER_MINUTE = 10


async def _tokens_page(request: Request, page: EventPage, status_code: int = 200, **context: Any) -> Response:
    async with database(request).session() as db:
        tokens = await event_tokens(db, actor=page.actor, event=page.event)
    full = {
        "tokens": tokens,
        "now": utcnow(),
        "scopes": list(TokenScope),
        "values": {},
        "openapi_url": path_for(request, "api_openapi"),
        **context,
    }
    return render_backoffice(
        request, page, "backoffice/api_tokens.html", full, section="import", status_code=status_code
    )


@requires(can_manage_api_tokens, load_event_page)
async def tokens_page(request: Request, page: EventPage) -> Response:
    return await _tokens_page(request, page)


@requires(can_manage_api_tokens, load_event_page)
async def token_create(request: Request, page: EventPage) -> Response:
    form = await checked_form(request)
    values = {name: form_text(form, name)[:200] for name in ("name", "scope", "expires_on")}
    await throttle(services(request), "api_token_create", TOKENS_PER_MINUTE).check(f"a{page.actor.account_id}")
    try:
        data = TokenInput.parse(**values, today=utcnow().date())
        async with database(request).session() as db:
            token, secret = await create_token(db, actor=page.actor, event=page.event, data=data)
    except InvalidInput as refusal:
        return await _tokens_page(request, page, 400, error=refusal.message, values=values)
    return await _tokens_page(request, page, created=token, secret=secret)


@requires(can_manage_api_tokens, load_event_page)
async def token_revoke(request: Request, page: EventPage) -> Response:
    await checked_form(request)
    async with database(request).session() as db:
        await revoke_token(db, actor=page.actor, event=page.event, token_id=request.path_params["token_id"])
    return see_other(path_for(request, "api_tokens", slug=page.event.slug))


routes: list[BaseRoute] = [
    Route("/{slug}/organiser/api", tokens_page, methods=["GET"], name="api_tokens"),
    Route("/{slug}/organiser/api", token_create, methods=["POST"], name="api_token_create"),
    Route("/{slug}/organiser/api/{token_id:id}/revoke", token_revoke, methods=["POST"], name="api_token_revoke"),
]
