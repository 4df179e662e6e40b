"""The speakers' studio when the relay is killed or restarted: it says it is reconnecting, comes back live by itself,
and the new relay process receives its media; an organiser's Stop, though, it does not undo.

The relay is a ``podium relay`` process, killed with SIGKILL as a crash would, or stopped with SIGTERM as a restart
would; the app proxies WHIP and WHEP to it on its own origin, as nginx does in production."""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from server.db import Database
from server.streams.tokens import control_token
from tests.support.relay_process import ProxiedStreamSite, RelayProcess, relay_status
from tests.support.servers import site_settings
from tests.support.stream_site import WAIT, StreamStage, cast_of, open_as

pytestmark = [pytest.mark.browser, pytest.mark.integration]


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
