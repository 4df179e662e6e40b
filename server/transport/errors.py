"""Every failure a visitor can cause becomes a 4xx with a message; never a bare 500."""

from __future__ import annotations

import logging

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

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
    return render(request, "error.html", {"title": title, "message": message, "status": status_code}, status_code)


async def podium_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, PodiumError)
    return error_response(request, exc.status_code, exc.message)


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    message = exc.detail if exc.status_code != 404 else _("There is no page at this address.")
    return error_response(request, exc.status_code, str(message))


async def server_error(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s", request.url.path, exc_info=exc)
    return error_response(request, 500, _("Podium could not answer this request. It has been logged."))


EXCEPTION_HANDLERS = {PodiumError: podium_error, HTTPException: http_error, Exception: server_error}
