"""Refuses addresses that carry text no database can store (a NUL byte, ``/a%00b/``) before any handler runs."""

from __future__ import annotations

from urllib.parse import unquote

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from server.i18n import gettext as _
from server.text import storable
from server.transport.errors import error_response


class UnstorableAddressMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not _address_storable(scope):
            message = _("This address contains characters Podium cannot accept, such as a NUL byte.")
            await error_response(Request(scope), 400, message)(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _address_storable(scope: Scope) -> bool:
    query = scope.get("query_string", b"").decode("latin-1")
    return storable(scope["path"]) and storable(unquote(query.replace("+", " "), errors="replace"))
