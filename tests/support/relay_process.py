"""A ``podium relay`` process for tests that kill and restart it, and a site that reaches it on its own origin as nginx
does in production (WHIP and WHEP proxied; the relay control over HTTP when asked)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

import httpx

from realtime.live.asgi import create_asgi
from server.streams.relay_control import HttpRelayControl
from server.streams.tokens import control_token
from tests.support.ports import free_port, wait_for_port
from tests.support.servers import ThreadedServer, site_settings
from tests.support.stream_site import RELAY_PATHS

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
HOP_BY_HOP = {b"host", b"connection", b"content-length", b"transfer-encoding", b"keep-alive"}


class RelayProcess:
    """``podium relay`` on a fixed port, which survives being killed and started again."""

    def __init__(
        self,
        database_url: str,
        secret_key: str,
        log: Path,
        *,
        media_dir: Path | None = None,
        edge: bool = False,
        environment: dict[str, str] | None = None,
    ) -> None:
        """It records into ``media_dir`` (default: a ``media`` folder beside its log); ``edge``: ``podium relay
        --edge``; ``environment`` adds or overrides variables (a name, a heartbeat interval)."""
        self.log = log
        self.media_dir = media_dir or log.parent / "media"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.environment = {
            **os.environ,
            "PODIUM_ENV": "test",
            "PODIUM_SECRET_KEY": secret_key,
            "PODIUM_DATABASE_URL": database_url,  # publish tokens are checked against their rotations
            "PODIUM_RELAY_HOST_ADDRESSES": "127.0.0.1",
            "PODIUM_MEDIA_DIR": str(self.media_dir),
            **(environment or {}),
        }
        self.edge = edge
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = [str(Path(sys.executable).with_name("podium")), "relay", "--port", str(self.port)]
        if self.edge:
            command.append("--edge")
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(command, env=self.environment, stdout=log, stderr=subprocess.STDOUT)
        wait_for_port(self.port, self.process, "podium relay")

    def kill(self, how: signal.Signals = signal.SIGKILL) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(how)
            self.process.wait(timeout=30)


class RelayProxy:
    """Forwards WHIP and WHEP requests to the relay process; 502 while it is down, as nginx would answer."""

    def __init__(self, relay_url: str) -> None:
        self.relay_url = relay_url

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = [(name, value) for name, value in scope["headers"] if name not in HOP_BY_HOP]
        url = self.relay_url + scope["path"]
        try:
            async with httpx.AsyncClient(timeout=20) as client:
                answer = await client.request(scope["method"], url, headers=headers, content=body)
            status, content = answer.status_code, answer.content
            reply = [(n, v) for n, v in answer.headers.raw if n.lower() not in HOP_BY_HOP]
        except httpx.TransportError:
            status, content, reply = 502, b"the relay is unavailable\n", [(b"content-type", b"text/plain")]
        reply.append((b"content-length", str(len(content)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": reply})
        await send({"type": "http.response.body", "body": content})


class ProxiedStreamSite(ThreadedServer):
    def __init__(self, database_url: str, relay: RelayProcess, *, control: bool = False) -> None:
        """With ``control``, the app tells the relay process who is on air (and asks its status) over HTTP."""
        port = free_port()
        settings = site_settings(database_url, port)
        live = create_asgi(settings, deliver_mail=False, settle_gc=False)
        if control:
            live.other_asgi_app.state.services.relay_control = HttpRelayControl(relay.url, settings.secret_key)
        proxy = RelayProxy(relay.url)

        async def app(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] == "http" and str(scope["path"]).startswith(RELAY_PATHS):
                await proxy(scope, receive, send)
            else:
                await live(scope, receive, send)

        super().__init__(app, port=port)


async def relay_status(relay: RelayProcess, key: str, secret_key: str) -> dict[str, Any]:
    """The session's stream as the relay process sees it, from its control endpoint."""
    headers = {"Authorization": f"Bearer {control_token(secret_key)}"}
    async with httpx.AsyncClient(base_url=relay.url, timeout=10) as client:
        response = await client.get(f"/relay/status/{key}", headers=headers)
    assert response.status_code == 200, response.text
    status: dict[str, Any] = response.json()
    return status
