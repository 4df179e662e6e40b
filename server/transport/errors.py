"""Every failure a visitor can cause becomes a 4xx with a message; never a bare 500."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response

from server.accounts.services import safe_next_path
from server.errors import PodiumError
from server.i18n import gettext as _
from server.transport.rendering import render

log = logging.getLogger("podium.http")


def wants_json(request: Request) -> bool:
    path = request.url.path
    return "/api/" in path or path.endswith(".json") or "application/json" in request.headers.get("accept", "")


def error_response(request: Request, status_code: int, message: str) -> Response:
    if wants_json(request):
        return JSONResponse({"error": message, "status": status_code}, status_code=status_code)
    titles = {400: _("Bad request"), 403: _("Not allowed"), 404: _("Not found"), 405: _("Method not allowed")}
    title = titles.get(status_code, _("Something went wrong"))
    context = {"title": title, "message": message, "status": status_code, **ways_back(request)}
    return render(request, "error.html", context, status_code)


def ways_back(request: Request) -> dict[str, Any]:
    """Never a dead end: an event's page keeps the event's navigation (read from the address alone, so an
    error costs no query), and a page reached from this site offers the way back to it."""
    slug = request.path_params.get("slug") if "path_params" in request.scope else None
    referer = urlsplit(request.headers.get("referer", ""))
    same_site = referer.netloc == request.url.netloc and referer.path != request.url.path
    back = safe_next_path(referer.path + (f"?{referer.query}" if referer.query else "")) if same_site else ""
    return {
        "event_link": {"slug": slug} if isinstance(slug, str) and slug else None,
        "back": back if back != "/" else "",
    }


async def podium_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, PodiumError)
    return error_response(request, exc.status_code, exc.message)


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    message = exc.detail if exc.status_code != 404 else _("There is no page at this address.")
    return error_response(request, exc.status_code, str(message))


async def client_gone(request: Request, exc: Exception) -> Response:
    """The browser stopped sending (a cancelled upload): nothing was read, nothing is written, nobody to answer."""
    return Response(status_code=400)


async def server_error(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s", request.url.path, exc_info=exc)
    return error_response(request, 500, _("Podium could not answer this request. It has been logged."))


EXCEPTION_HANDLERS = {
    PodiumError: podium_error,
    HTTPException: http_error,
    ClientDisconnect: client_gone,
    Exception: server_error,
}
