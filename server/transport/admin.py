"""The instance admins' page: find accounts, disable or enable them. Everyone else gets "not found"."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from server.accounts.admin import find_accounts, require_admin, set_account_disabled
from server.transport.auth import checked_form, current_account, form_text
from server.transport.context import database, end_reads, private, see_other
from server.transport.rendering import render
from server.transport.urls import path_for, with_query


async def accounts_page(request: Request) -> Response:
    query = request.query_params.get("q", "")
    async with database(request).session() as db:
        admin = await current_account(request, db)
        accounts = await find_accounts(db, actor=admin, query=query)
    context = {"admin": admin, "accounts": accounts, "query": query}
    return private(render(request, "accounts/admin.html", context))


async def _set_disabled(request: Request, *, disabled: bool) -> Response:
    form = await checked_form(request)
    async with database(request).session() as db:
        admin = require_admin(await current_account(request, db))
        await end_reads(db)
        await set_account_disabled(db, actor=admin, account_id=request.path_params["account_id"], disabled=disabled)
    query = form_text(form, "q").strip()
    return see_other(with_query(path_for(request, "admin_accounts"), q=query))


async def disable_account(request: Request) -> Response:
    return await _set_disabled(request, disabled=True)


async def enable_account(request: Request) -> Response:
    return await _set_disabled(request, disabled=False)


routes: list[BaseRoute] = [
    Route("/admin/accounts", accounts_page, methods=["GET"], name="admin_accounts"),
    Route("/admin/accounts/{account_id:int}/disable", disable_account, methods=["POST"], name="admin_disable"),
    Route("/admin/accounts/{account_id:int}/enable", enable_account, methods=["POST"], name="admin_enable"),
]
