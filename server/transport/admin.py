"""The instance admins' page: find accounts, disable or enable them. Everyone else gets "not found"."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from server.accounts.admin import find_accounts, set_account_disabled
from server.accounts.rules import can_disable_accounts, is_instance_admin
from server.transport.auth import checked_form, form_text
from server.transport.context import database, private, see_other
from server.transport.loaders import AccountPage, load_account_page, requires
from server.transport.rendering import render
from server.transport.urls import path_for, with_query


@requires(is_instance_admin, load_account_page)
async def accounts_page(request: Request, page: AccountPage) -> Response:
    query = request.query_params.get("q", "")
    async with database(request).session() as db:
        accounts = await find_accounts(db, actor=page.actor, query=query)
    context = {"admin": page.actor.account, "accounts": accounts, "query": query}
    return private(render(request, "accounts/admin.html", context))


async def _set_disabled(request: Request, page: AccountPage, *, disabled: bool) -> Response:
    form = await checked_form(request)
    async with database(request).session() as db:
        await set_account_disabled(
            db, actor=page.actor, account_id=request.path_params["account_id"], disabled=disabled
        )
    query = form_text(form, "q").strip()
    return see_other(with_query(path_for(request, "admin_accounts"), q=query))


@requires(can_disable_accounts, load_account_page)
async def disable_account(request: Request, page: AccountPage) -> Response:
    return await _set_disabled(request, page, disabled=True)


@requires(can_disable_accounts, load_account_page)
async def enable_account(request: Request, page: AccountPage) -> Response:
    return await _set_disabled(request, page, disabled=False)


routes: list[BaseRoute] = [
    Route("/admin/accounts", accounts_page, methods=["GET"], name="admin_accounts"),
    Route("/admin/accounts/{account_id:id}/disable", disable_account, methods=["POST"], name="admin_disable"),
    Route("/admin/accounts/{account_id:id}/enable", enable_account, methods=["POST"], name="admin_enable"),
]
