"""HLS for blocked networks (issue 16): a browser without WebRTC watches a live session over plain HTTP with hls.js,
and the page says so; the site serves the playlist and segments with the caching headers an HTTP cache needs, and
answers 404 with a message for a session that has no HLS."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from playwright.async_api import expect

from realtime.media.internals import restrict_host_addresses
from server.db import Database
from server.streams.hls import hls_folder, playlist_url
from server.streams.tokens import publish_token, viewer_pass
from tests.media.clients import publish, wait_connected, watch
from tests.media.synthetic import PatternTrack, ToneTrack
from tests.support.browser import PageProblems, assert_accessible
from tests.support.media import loopback_only
from tests.support.stream_site import WAIT, StreamSite, StreamStage, cast_of

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.slow]

NO_WEBRTC = "delete window.RTCPeerConnection; delete window.webkitRTCPeerConnection;"


@pytest.fixture
async def hls_stage(
    database_url: str, database: Database, demo_event: str, request: pytest.FixtureRequest
) -> AsyncIterator[StreamStage]:
    """The room of a session with HLS; ``@pytest.mark.parametrize("hls_stage", [N], indirect=True)``: a relay that
    takes at most N viewers."""
    cast = await cast_of(database, demo_event)
    site = StreamSite(database_url, hls=True, max_viewers=getattr(request, "param", 1000))
    site.start()
    try:
        yield StreamStage(site, cast.event, cast.session, cast.speaker, cast.delegate, cast.moderator)
    finally:
        site.stop()
        restrict_host_addresses([])


async def open_room(stage: StreamStage, browser: Any, *, webrtc: bool) -> tuple[Any, Any, PageProblems]:
    """The delegate's room page in a new context; without WebRTC when ``webrtc`` is False."""
    context = await browser.new_context(locale="en-GB")
    await context.add_cookies([{"name": "podium_session", "value": stage.delegate.token, "url": stage.site.url}])
    if not webrtc:
        await context.add_init_script(NO_WEBRTC)
    page = await context.new_page()
    problems = PageProblems(page)
    await page.goto(stage.path("room"))
    return context, page, problems


async def assert_plays_over_hls(page: Any) -> None:
    player = page.locator("#stream")
    await expect(player).to_have_attribute("data-transport", "hls", timeout=WAIT)
    await expect(page.locator("[data-stream-transport]")).to_have_text("Watching over HTTP (HLS)")
    await expect(player).to_have_attribute("data-state", "live", timeout=WAIT)
    first = await page.evaluate("document.querySelector('#stream video').currentTime")
    await page.wait_for_timeout(2500)
    later = await page.evaluate("document.querySelector('#stream video').currentTime")
    assert later > first + 1.0  # it plays
    assert await page.evaluate("document.querySelector('#stream video').videoWidth") == 640


async def test_a_browser_without_webrtc_watches_over_hls_and_the_page_says_so(
    hls_stage: StreamStage, browser: Any
) -> None:
    stage = hls_stage
    site: StreamSite = stage.site  # type: ignore[assignment]
    secret, key = site.settings.secret_key, str(stage.session.id)
    folder = hls_folder(site.settings.hls_dir, secret, key)
    with loopback_only():
        async with httpx.AsyncClient(base_url=stage.site.url) as client:
            missing = await client.get(playlist_url(secret, key))
            assert missing.status_code == 404  # not live yet: no HLS
            assert "no HLS stream" in missing.text
            publisher = await publish(
                client, f"/whip/{key}", publish_token(secret, key, 0), PatternTrack(count=30), ToneTrack(440)
            )
            went_live = time.monotonic()
            try:
                await wait_connected(publisher.pc)
                async with asyncio.timeout(10):
                    while not (folder / "index.m3u8").is_file():
                        await asyncio.sleep(0.2)
                assert time.monotonic() - went_live < 10  # the playlist within ten seconds of going live

                playlist = await client.get(playlist_url(secret, key))
                assert playlist.status_code == 200
                assert playlist.headers["cache-control"] == "public, max-age=1"
                assert playlist.headers["content-type"].startswith("application/vnd.apple.mpegurl")
                segment_name = [line for line in playlist.text.splitlines() if line.endswith(".ts")][0]
                segment = await client.get(playlist_url(secret, key).replace("index.m3u8", segment_name))
                assert segment.status_code == 200 and segment.content[:1] == b"G"  # an MPEG-TS packet
                assert segment.headers["cache-control"] == "public, max-age=86400, immutable"
                assert segment.headers["content-type"] == "video/mp2t"
                guessed = await client.get(f"/hls/{key}-0000000000000000/index.m3u8")
                assert guessed.status_code == 404  # the folder's name cannot be guessed

                context, page, problems = await open_room(stage, browser, webrtc=False)
                await assert_plays_over_hls(page)
                await assert_accessible(page)
                assert problems.messages == []
                await context.close()
            finally:
                await publisher.close()


@pytest.mark.parametrize("hls_stage", [1], indirect=True)
async def test_when_the_relay_is_full_a_browser_with_webrtc_watches_over_hls(
    hls_stage: StreamStage, browser: Any
) -> None:
    stage = hls_stage
    site: StreamSite = stage.site  # type: ignore[assignment]
    secret, key = site.settings.secret_key, str(stage.session.id)
    with loopback_only():
        async with httpx.AsyncClient(base_url=stage.site.url) as client:
            publisher = await publish(
                client, f"/whip/{key}", publish_token(secret, key, 0), PatternTrack(count=30), ToneTrack(440)
            )
            try:
                await wait_connected(publisher.pc)
                seated = await watch(client, f"/whep/{key}", viewer_pass(secret, key, "g1", expires_at=2**31 - 1))
                await wait_connected(seated.pc)  # the relay's one seat is taken
                folder = hls_folder(site.settings.hls_dir, secret, key)
                async with asyncio.timeout(10):
                    while not (folder / "index.m3u8").is_file():
                        await asyncio.sleep(0.2)
                context, page, problems = await open_room(stage, browser, webrtc=True)
                await assert_plays_over_hls(page)
                # The relay's refusal (503, full) is what turned the player to HLS; nothing else went wrong.
                assert f"503 from {stage.site.url}/whep/{key}" in problems.messages
                assert [message for message in problems.messages if "503" not in message] == []
                await context.close()
                await seated.close()
            finally:
                await publisher.close()
