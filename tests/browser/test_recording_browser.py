"""Chromium's studio, with the fake camera and microphone, publishing through a ``podium relay`` process: the relay
records what it forwards, and the segments decode with picture and sound."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import av
import pytest

from server.db import Database
from server.streams.recording_files import read_status, recording_dir, segments
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


async def until(condition: Callable[[], Awaitable[bool]], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not await condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.25)


def frames(path: Path) -> tuple[int, int]:
    video = audio = 0
    with av.open(str(path)) as container:
        for frame in container.decode(*container.streams):
            if isinstance(frame, av.VideoFrame):
                video += 1
            else:
                audio += 1
    return video, audio


async def test_the_studios_stream_is_recorded_by_the_relay(
    relayed: tuple[StreamStage, RelayProcess], media_browser: Any, database_url: str
) -> None:
    stage, relay = relayed
    key = str(stage.session.id)
    secret = site_settings(database_url, 0).secret_key
    studio, _problems = await open_as(media_browser, stage, stage.speaker, "studio")
    await studio.wait_for_selector("#studio-camera option:nth-child(2)", state="attached", timeout=WAIT)
    await studio.get_by_role("button", name="Go live").click()
    await studio.wait_for_selector("#studio[data-state='live']", timeout=WAIT)

    async def recording() -> bool:
        return (await relay_status(relay, key, secret)).get("recording") == "recording"

    await until(recording, 20)
    await asyncio.sleep(8)
    await studio.close()  # the speaker goes away
    folder = recording_dir(relay.media_dir, key)

    async def stopped() -> bool:
        return (read_status(folder) or {}).get("state") == "stopped"

    await until(stopped, 20)

    found = segments(folder)
    assert len(found) >= 2 and all(segment.complete and segment.ext == "webm" for segment in found)
    decoded = [frames(segment.path) for segment in found]
    assert all(video > 0 and audio > 0 for video, audio in decoded)
    assert sum(video for video, _ in decoded) >= 8 * 10  # Chromium's fake camera, whatever rate it settles on
