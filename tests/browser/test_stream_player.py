"""The room page's player on a poor or broken connection: audio only, and reconnecting by itself when the relay
drops it. A moderator publishes with the fake camera through the studio page; a delegate watches."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from playwright.async_api import expect

from tests.support.stream_site import WAIT, StreamStage, frames_decoded, go_live, open_as

pytestmark = [pytest.mark.browser, pytest.mark.integration]

AUDIO_PACKETS = """async () => {
  let packets = 0;
  let video = false;
  (await window.podiumStream.stats()).forEach((report) => {
    if (report.type === "inbound-rtp" && report.kind === "audio") packets = report.packetsReceived || 0;
    if (report.type === "inbound-rtp" && report.kind === "video") video = true;
  });
  return [packets, video];
}"""


async def growing(read: Any) -> tuple[int, int]:
    first = await read()
    await asyncio.sleep(1.5)
    return first, await read()


async def test_audio_only_drops_the_picture_and_keeps_the_sound(stage: StreamStage, media_browser: Any) -> None:
    await go_live(media_browser, stage)
    room, problems = await open_as(media_browser, stage, stage.delegate, "room")
    await room.wait_for_selector("#stream[data-state='live']", timeout=WAIT)
    audio_only = room.get_by_role("button", name="Audio only")

    await audio_only.click()
    await expect(audio_only).to_have_attribute("aria-pressed", "true")
    await expect(room.locator("#stream")).to_have_attribute("data-state", "live", timeout=WAIT)

    async def audio() -> int:
        packets, video = await room.evaluate(AUDIO_PACKETS)
        assert video is False, "an audio-only connection still receives video"
        return int(packets)

    first, later = await growing(audio)
    assert 0 < first < later

    await audio_only.click()
    await expect(audio_only).to_have_attribute("aria-pressed", "false")
    await expect(room.locator("#stream")).to_have_attribute("data-state", "live", timeout=WAIT)
    first, later = await growing(lambda: frames_decoded(room))
    assert 0 < first < later
    assert problems.messages == []


async def test_the_player_reconnects_when_the_relay_drops_it(stage: StreamStage, media_browser: Any) -> None:
    await go_live(media_browser, stage)
    room, _problems = await open_as(media_browser, stage, stage.delegate, "room")
    await room.wait_for_selector("#stream[data-state='live']", timeout=WAIT)
    first, later = await growing(lambda: frames_decoded(room))
    assert 0 < first < later

    # The relay forgets the viewer, as a relay restart would.
    relay = stage.site.app.relay_app.state.media.relay
    key = str(stage.session.id)
    dropped = list(relay.streams[key].viewers)
    assert len(dropped) == 1
    async with httpx.AsyncClient(base_url=stage.site.url) as client:
        for resource in dropped:
            assert (await client.delete(f"/whep/{key}/{resource}")).status_code == 200

    # A new connection, with frames counted afresh, without the delegate doing anything.
    async def reconnected() -> bool:
        viewers = list(relay.streams[key].viewers) if key in relay.streams else []
        return bool(viewers) and viewers != dropped

    import time

    t0 = time.monotonic()
    for _ in range(60):  # about ten seconds: the player gives up on a silent connection after eight
        if await reconnected():
            print("RECONNECT", time.monotonic() - t0)
            break
        await asyncio.sleep(0.5)
    assert await reconnected(), "the player did not come back to the relay"
    await expect(room.locator("#stream")).to_have_attribute("data-state", "live", timeout=WAIT)
    first, later = await growing(lambda: frames_decoded(room))
    assert 0 < first < later
