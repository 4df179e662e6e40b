"""python-socketio's server with two seams closed: events named by clients never reach the server's own
handlers, and the Origin check happens in the Socket.IO handshake, where a refusal can say why."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import socketio

# A client-sent event is looked up among the handlers by name first, so `connect`, `disconnect` and `*`
# would run the handshake, the disconnect handler or the catch-all with arguments the client chose
# (python-socketio's AsyncServer._trigger_event). Every such name goes to the catch-all as this name,
# which no request has: it answers `unknown_event` and changes nothing.
NOT_A_REQUEST = ""
RESERVED = frozenset({"connect", "disconnect", "*"})


def client_request(data: Any) -> list[Any]:
    """The decoded EVENT packet as ``[name, *arguments]``, with a name that can only reach the catch-all."""
    if not isinstance(data, list) or not data:  # no name at all: `42/live,{}`, `42/live,`
        return [NOT_A_REQUEST]
    name = data[0]
    if not isinstance(name, str) or name in RESERVED:
        return [NOT_A_REQUEST, *data[1:]]
    return data


class LiveSocketServer(socketio.AsyncServer):
    """``socketio.AsyncServer`` that dispatches a client's event only to the handlers meant for requests.
    It overrides one private method of python-socketio 5.x; tests/live/test_reserved_events.py guards it."""

    async def _handle_event(self, eio_sid: str, namespace: str | None, id: int | None, data: Any) -> None:  # noqa: A002 (the upstream signature)
        await super()._handle_event(eio_sid, namespace, id, client_request(data))


def web_origin(url: str) -> str:
    """``https://podium.example.org`` for any URL of the site: what browsers send as ``Origin``."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def foreign_origin(environ: dict[str, Any], site: str) -> str | None:
    """The handshake's Origin when it is not the site's own. Clients that send none (not browsers: a
    browser always sends one with a WebSocket handshake) are let through, as Engine.IO lets them."""
    origin = environ.get("HTTP_ORIGIN")
    if not origin or origin.rstrip("/").lower() == web_origin(site):
        return None
    return str(origin)
