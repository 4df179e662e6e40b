"""Kill -9 a ``podium relay`` process while it records: what it wrote before the kill plays back, and after a
restart the same publisher's reconnection goes on in new segments of the same folder."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterator
from pathlib import Path

import av
import httpx
import pytest

from server.agenda.models import Session
from server.db import Database
from server.events.models import Event
from server.settings import Settings
from server.streams.recording_files import read_status, recording_dir, segments
from server.streams.tokens import publish_token
from tests.media.clients import publish, wait_connected
from tests.media.synthetic import PatternTrack, ToneTrack
from tests.support import factories
from tests.support.media import loopback_only, wait_for
from tests.support.relay_process import RelayProcess, relay_status

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(autouse=True)
def loopback() -> Iterator[None]:
    with loopback_only():
        yield


@pytest.fixture
async def scene(database: Database) -> tuple[Event, Session]:
    async with database.session() as db:
        return await factories.other_event(db)


def frames_in(path: Path) -> tuple[int, int]:
    """Video and audio frames decoded from a segment, up to where a killed writer left it."""
    video = audio = 0
    with contextlib.suppress(av.FFmpegError), av.open(str(path)) as container:
        for frame in container.decode(*container.streams):
            if isinstance(frame, av.VideoFrame):
                video += 1
            else:
                audio += 1
    return video, audio


async def test_a_killed_relay_leaves_playable_segments_and_a_restart_goes_on_in_the_same_folder(
    settings: Settings, scene: tuple[Event, Session], tmp_path: Path
) -> None:
    _, session = scene
    key = str(session.id)
    relay = RelayProcess(settings.database_url, settings.secret_key, tmp_path / "relay.log", media_dir=tmp_path / "m")
    folder = recording_dir(relay.media_dir, key)
    token = publish_token(settings.secret_key, key, 0)
    relay.start()
    try:
        async with httpx.AsyncClient(base_url=relay.url, timeout=20) as client:
            publisher = await publish(client, f"/whip/{key}", token, PatternTrack(), ToneTrack(440))
            await wait_connected(publisher.pc)
            await asyncio.sleep(9)
            status = await relay_status(relay, key, settings.secret_key)
            assert status["recording"] == "recording"
            assert status["recording_bytes"] > 20_000
            relay.kill()
            killed_at_ms = int(time.time() * 1000)
            await publisher.close()

            before = segments(folder)
            assert [segment.complete for segment in before][-1] is False  # the one it was writing
            assert any(segment.complete for segment in before)
            for segment in before:
                video, audio = frames_in(segment.path)
                assert video > 0 and audio > 0, segment.path.name
            assert sum(frames_in(segment.path)[0] for segment in before) >= 30 * 9 - 60  # at most ~2 s lost

            relay.start()
            again = await publish(client, f"/whip/{key}", token, PatternTrack(), ToneTrack(440))
            await wait_connected(again.pc)
            await asyncio.sleep(4)
            await again.close()
            await wait_for(lambda: (read_status(folder) or {}).get("state") == "stopped")
    finally:
        relay.kill()

    after = segments(folder)
    new = [segment for segment in after if segment.path not in {s.path for s in before}]
    assert new and all(segment.complete for segment in new)
    assert min(segment.start_ms for segment in new) > killed_at_ms
    assert min(segment.number for segment in new) > max(segment.number for segment in before)
    assert {segment.path.parent for segment in after} == {folder}
    assert sum(frames_in(segment.path)[0] for segment in new) >= 60
