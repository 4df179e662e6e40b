"""A session's HLS, as the relay writes it into ``PODIUM_HLS_DIR`` (realtime/media/hls.py), served to players: the
playlist cached for a second, segments cached for a day as immutable (their names are never reused), so any HTTP
cache in front serves a crowd. nginx serves the same folder under the same path in deploy/ (deploy/nginx).

Whoever has the address may fetch it: its folder name carries an HMAC of the session's key (server/streams/hls.py),
handed out in the viewer pass to those admitted to the room, as a cache-friendly URL must be.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from server.i18n import gettext as _
from server.streams.hls import PLAYLIST_CACHE, cache_control, content_type, served_file
from server.transport.context import settings


async def hls_file(request: Request) -> Response:
    """``/hls/<key>-<mac>/index.m3u8`` and its segments; a session without HLS now: 404 with a message."""
    site = settings(request)
    folder, name = request.path_params["folder"], request.path_params["name"]
    path = served_file(site.hls_dir, folder, name) if site.hls else None
    if path is None:
        message = _("This session has no HLS stream now. It starts when the session is live.")
        return PlainTextResponse(message, status_code=404, headers={"Cache-Control": PLAYLIST_CACHE})
    return FileResponse(path, media_type=content_type(name), headers={"Cache-Control": cache_control(name)})


routes: list[BaseRoute] = [
    Route("/hls/{folder}/{name}", hls_file, methods=["GET"], name="hls_file"),
]
