"""The room page's player after a failed connection asks a new pass that passes over the relay it could not reach,
and watches from another one: here the registry names a living edge whose public address answers 502 (as nginx does
for a relay that is down), and the site's own relay."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from realtime.media.internals import restrict_host_addresses
from server.clock import utcnow
from server.db import Database
from tests.support.browser import signed_in_page
from tests.support.relays import register
from tests.support.stream_site import WAIT, StreamSite, StreamStage, cast_of, frames_decoded, go_live

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.slow]

GONE = "/relay/gone"


@pytest.fixture
async def failing_stage(database_url: str, database: Database, demo_event: str) -> AsyncIterator[StreamStage]:
    cast = await cast_of(database, demo_event)
    site = StreamSite(database_url, record=False, unreachable=(GONE + "/",))
    site.start()
    try:
        yield StreamStage(site, cast.event, cast.session, cast.speaker, cast.delegate, cast.moderator)
    finally:
        site.stop()
        restrict_host_addresses([])


async def heartbeats(database: Database, key: str) -> None:
    """Two relays beating every second: an empty edge that carries the session (browsers cannot reach it) and the
    site's own relay, its origin, busy."""
    while True:
        async with database.session() as db:
            now = utcnow()
            await register(db, "gone", role="edge", carries=[key], public_url=GONE, now=now)
            await register(db, "site", viewers=500, ingests=[key], carries=[key], now=now)
        await asyncio.sleep(1)


async def test_after_a_failed_connection_the_player_asks_a_pass_for_another_relay(
    failing_stage: StreamStage, media_browser: Any, database: Database
) -> None:
    stage = failing_stage
    key = str(stage.session.id)
    await go_live(media_browser, stage)
    beating = asyncio.create_task(heartbeats(database, key))
    try:
        room, problems = await signed_in_page(media_browser, stage.site.url, stage.delegate.token)
        asked: list[str] = []
        offered: list[str] = []
        room.on("request", lambda request: asked.append(request.url) if "/stream/pass" in request.url else None)
        room.on(
            "request", lambda request: offered.append(urlsplit(request.url).path) if request.method == "POST" else None
        )
        await room.goto(stage.path("room"))
        await room.wait_for_selector("#stream[data-state='live']", timeout=WAIT)
        first = await frames_decoded(room)
        await asyncio.sleep(1.5)
        later = await frames_decoded(room)
    finally:
        beating.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await beating

    avoided = [parse_qs(urlsplit(url).query).get("avoid", [""])[0] for url in asked]
    assert avoided[:2] == ["", "gone"]
    assert offered[:2] == [f"{GONE}/whep/{key}", f"/whep/{key}"]
    assert 0 < first < later
    # The one failure the page met: the unreachable relay's 502 (and the console's line about it).
    assert [m for m in problems.messages if not m.startswith("console: Failed to load resource")] == [
        f"502 from {stage.site.url}{GONE}/whep/{key}"
    ]
