"""The relay records what it forwards: segments that decode on their own, with video and sound, as long as the
stream lasted; nothing when recording is off; a full disk stops the recording, never the stream."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import av
import httpx
import pytest

from realtime.media.config import RelaySettings
from realtime.media.relay import Relay
from realtime.media.status import any_status, stream_status
from server.streams.recording_files import RecorderState, read_status, recording_dir, segments
from server.streams.tokens import PublishTokens, viewer_pass
from tests.media.clients import publish, video_frames, wait_connected, watch
from tests.media.recordings import make_video
from tests.media.synthetic import HEIGHT, WIDTH, PatternTrack, ToneTrack
from tests.support.media import SECRET

pytestmark = pytest.mark.integration

SESSION = "12"
WHIP = f"/whip/{SESSION}"
WHEP = f"/whep/{SESSION}"


@dataclasses.dataclass(frozen=True)
class Decoded:
    video_frames: int
    audio_frames: int
    seconds: float
    size: tuple[int, int] | None


def decode(path: Path) -> Decoded:
    """Every frame of a segment, decoded; its length from its first to its last frame."""
    video = audio = 0
    size = None
    times: list[float] = []
    with av.open(str(path)) as container:
        for frame in container.decode(*container.streams):
            if isinstance(frame, av.VideoFrame):
                video += 1
                size = (frame.width, frame.height)
            else:
                audio += 1
            if frame.pts is not None and frame.time_base is not None:
                times.append(float(frame.pts * frame.time_base))
    return Decoded(video, audio, max(times) - min(times) if times else 0.0, size)


def pass_for(account: str) -> str:
    return viewer_pass(SECRET, SESSION, account, expires_at=int(time.time()) + 300)


async def wait_for(condition: Callable[[], bool], timeout: float = 15.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.05)


@pytest.fixture
def settings(tmp_path: Path) -> RelaySettings:
    return RelaySettings(
        secret_key=SECRET,
        host_addresses=("127.0.0.1",),
        connect_timeout=10.0,
        signalling_per_ip_per_minute=1000,
        media_dir=tmp_path,
        record=True,
    )


def folder(settings: RelaySettings, key: str = SESSION) -> Path:
    return recording_dir(settings.media_dir, key)


async def test_a_publishers_stream_is_recorded_in_segments_that_decode(
    live_client: httpx.AsyncClient, tokens: PublishTokens, relay: Relay, settings: RelaySettings
) -> None:
    publisher = await publish(live_client, WHIP, tokens.token(SESSION), PatternTrack(), ToneTrack(440))
    await wait_connected(publisher.pc)
    await wait_for(lambda: stream_status(relay, SESSION).recording == "recording")
    started = time.monotonic()
    await asyncio.sleep(14)
    assert stream_status(relay, SESSION).recording_bytes > 50_000
    await publisher.close()
    published = time.monotonic() - started
    await wait_for(lambda: SESSION not in relay.streams)  # the stream ends; its recorder closes the last segment

    found = segments(folder(settings))
    assert len(found) >= 2  # about six seconds each
    assert all(segment.complete and segment.ext == "webm" for segment in found)
    decoded = [decode(segment.path) for segment in found]
    for part in decoded:
        assert part.size == (WIDTH, HEIGHT)
        assert part.video_frames >= 20
        assert part.audio_frames >= 50
    total = sum(part.seconds for part in decoded)
    assert published - 2.0 <= total <= published + 1.0
    assert read_status(folder(settings)) is not None
    assert read_status(folder(settings))["state"] == RecorderState.stopped  # type: ignore[index]
