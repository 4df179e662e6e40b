"""The speakers' studio when the relay is killed or restarted: it says it is reconnecting, comes back live by itself,
and the new relay process receives its media; an organiser's Stop, though, it does not undo.

The relay is a ``podium relay`` process, killed with SIGKILL as a crash would, or stopped with SIGTERM as a restart
would; the app proxies WHIP and WHEP to it on its own origin, as nginx does in production."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

import httpx
import pytest

from realtime.live.asgi import create_asgi
from server.db import Database
from server.streams.tokens import control_token
from tests.support.ports import free_port, wait_for_port
from tests.support.servers import ThreadedServer, site_settings
from tests.support.stream_site import RELAY_PATHS, WAIT, StreamStage, cast_of, open_as

pytestmark = [pytest.mark.browser, pytest.mark.integration]

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
HOP_BY_HOP = {b"host", b"connection", b"content-length", b"transfer-encoding", b"keep-alive"}


class RelayProcess:
    """``podium relay`` on a fixed port, which survives being killed and started again."""

    def __init__(self, database_url: str, secret_key: str, log: Path) -> None:
        self.log = log
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.environment = {
            **os.environ,
            "PODIUM_ENV": "test",
            "PODIUM_SECRET_KEY": secret_key,
            "PODIUM_DATABASE_URL": database_url,  # publish tokens are checked against their rotations
            "PODIUM_RELAY_HOST_ADDRESSES": "127.0.0.1",
        }
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = [str(Path(sys.executable).with_name("podium")), "relay", "--port", str(self.port)]
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
    def __init__(self, database_url: str, relay: RelayProcess) -> None:
        port = free_port()
        live = create_asgi(site_settings(database_url, port), deliver_mail=False, settle_gc=False)
        proxy = RelayProxy(relay.url)

        async def app(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] == "http" and str(scope["path"]).startswith(RELAY_PATHS):
                await proxy(scope, receive, send)
            else:
                await live(scope, receive, send)

        super().__init__(app, port=port)


@pytest.fixture
async def relayed(
    database_url: str, database: Database, demo_event: str, tmp_path: Path
) -> AsyncIterator[tuple[StreamStage, RelayProcess]]:
    cast = await cast_of(database, demo_event)
    relay = RelayProcess(database_url, site_settings(database_url, 0).secret_key, tmp_path / "relay.log")
    relay.start()
    site = ProxiedStreamSite(database_url, relay)
    site.start()
    try:
        yield StreamStage(site, cast.event, cast.session, cast.speaker, cast.delegate, cast.moderator), relay
    finally:
        site.stop()
        relay.kill()


async def relay_status(relay: RelayProcess, key: str, secret_key: str) -> dict[str, Any]:
    """The session's stream as the relay process sees it, from its control endpoint."""
    headers = {"Authorization": f"Bearer {control_token(secret_key)}"}
    async with httpx.AsyncClient(base_url=relay.url, timeout=10) as client:
        response = await client.get(f"/relay/status/{key}", headers=headers)
    assert response.status_code == 200, response.text
    status: dict[str, Any] = response.json()
    return status


async def frames_in(relay: RelayProcess, key: str, secret_key: str) -> int:
    """Video frames the relay process has received for the session (0 when it has no stream)."""
    return int((await relay_status(relay, key, secret_key))["frames_in"])


async def receiving(relay: RelayProcess, key: str, secret: str) -> bool:
    return await frames_in(relay, key, secret) > 0


async def until(condition: Callable[[], Awaitable[bool]], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not await condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.25)


async def go_live(browser: Any, stage: StreamStage, relay: RelayProcess, secret: str) -> Any:
    studio, _problems = await open_as(browser, stage, stage.speaker, "studio")
    await studio.wait_for_selector("#studio-camera option:nth-child(2)", state="attached", timeout=WAIT)
    await studio.get_by_role("button", name="Go live").click()
    await studio.wait_for_selector("#studio[data-state='live']", timeout=WAIT)
    await until(lambda: receiving(relay, str(stage.session.id), secret), 20)
    return studio


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM], ids=["killed", "restarted"])
async def test_the_studio_reconnects_after_the_relay_is_killed_or_restarted(
    relayed: tuple[StreamStage, RelayProcess], media_browser: Any, database_url: str, how: signal.Signals
) -> None:
    from playwright.async_api import expect

    stage, relay = relayed
    key = str(stage.session.id)
    secret = site_settings(database_url, 0).secret_key
    studio = await go_live(media_browser, stage, relay, secret)

    relay.kill(how)
    await expect(studio.locator("#studio")).to_have_attribute("data-state", "reconnecting", timeout=WAIT)
    assert await studio.locator("#studio-status").text_content() == "The connection was lost; reconnecting…"
    relay.start()
    await expect(studio.locator("#studio")).to_have_attribute("data-state", "live", timeout=40_000)

    # The new relay process gets the studio's frames, and keeps getting them.
    await until(lambda: receiving(relay, key, secret), 20)
    first = await frames_in(relay, key, secret)
    await asyncio.sleep(1.5)
    assert first < await frames_in(relay, key, secret)
    assert await studio.locator("#studio-status").text_content() == "You are live."


async def test_the_studio_does_not_undo_an_organisers_stop(
    relayed: tuple[StreamStage, RelayProcess], media_browser: Any, database_url: str
) -> None:
    stage, relay = relayed
    key = str(stage.session.id)
    secret = site_settings(database_url, 0).secret_key
    studio = await go_live(media_browser, stage, relay, secret)

    async with httpx.AsyncClient(base_url=relay.url) as client:  # what the console's Stop the stream asks
        stopped = await client.post(
            f"/relay/streams/{key}/stop", headers={"Authorization": f"Bearer {control_token(secret)}"}
        )
    assert stopped.status_code == 204
    await studio.wait_for_selector("#studio[data-state='ended']", timeout=WAIT)
    await asyncio.sleep(5)  # long enough for a reconnection (the first comes after one second) to have gone live

    status = await relay_status(relay, key, secret)
    assert (status["publisher_state"], status["live"]) == (None, False)
    assert await studio.locator("#studio").get_attribute("data-state") == "ended"
    assert await studio.get_by_role("button", name="Go live").is_enabled()
