"""A recording played by the relay: every viewer decodes it, a live publisher waits and comes back, a broken file
ends nothing but its own playback."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, replace
from pathlib import Path

import httpx
import pytest
from aiortc import MediaStreamTrack
from av import AudioFrame, VideoFrame

from realtime.media.config import RelaySettings
from realtime.media.relay import PlaybackConflict, PlaybackRefused, Relay
from realtime.media.status import stream_status
from server.streams.tokens import PublishTokens, viewer_pass
from tests.media import synthetic
from tests.media.clients import publish, wait_connected, watch
from tests.media.recordings import HEIGHT, WIDTH, counter_level, make_video
from tests.support.media import SECRET, wait_for

pytestmark = pytest.mark.integration

SESSION = "address"
WHIP = f"/whip/{SESSION}"
WHEP = f"/whep/{SESSION}"


@pytest.fixture
def settings(settings: RelaySettings, tmp_path: Path) -> RelaySettings:
    media = tmp_path / "media"
    media.mkdir()
    return replace(settings, media_dir=media)


def pass_for(account: str) -> str:
    return viewer_pass(SECRET, SESSION, account, expires_at=int(time.time()) + 300)


@dataclass(frozen=True)
class Seen:
    at: float
    width: int
    height: int
    level: int  # the luma in the middle of the picture


def seen(frame: VideoFrame) -> Seen:
    plane = frame.planes[0]
    middle = bytes(plane)[frame.height // 2 * plane.line_size + frame.width // 2]
    return Seen(time.monotonic(), frame.width, frame.height, middle)


async def watch_frames(track: MediaStreamTrack, *, seconds: float) -> list[Seen]:
    """What the viewer decodes within ``seconds``, each frame with the moment it came."""
    frames: list[Seen] = []
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            while True:
                frame = await track.recv()
                assert isinstance(frame, VideoFrame)
                frames.append(seen(frame))
    return frames


async def test_a_recording_plays_once_to_every_viewer(
    live_client: httpx.AsyncClient, relay: Relay, settings: RelaySettings
) -> None:
    make_video(settings.media_dir / "address.mp4", seconds=3)
    viewers = [await watch(live_client, WHEP, pass_for(f"delegate-{n}"), kinds=("audio", "video")) for n in range(2)]
    for viewer in viewers:
        await wait_connected(viewer.pc)

    playback = await relay.play(SESSION, "address.mp4")
    await asyncio.sleep(1.0)
    status = stream_status(relay, SESSION)
    audio = await asyncio.wait_for(viewers[0].tracks["audio"].recv(), 5)
    received = await asyncio.gather(*(watch_frames(v.tracks["video"], seconds=3.5) for v in viewers))

    assert (status.mode, status.duration) == ("playback", 3.0)
    assert 0.5 <= (status.position or 0) <= 1.6
    assert isinstance(audio, AudioFrame)
    expected = {counter_level(index) for index in range(90)}
    for frames in received:
        assert len(frames) >= 40  # two of the three seconds were left when this started counting
        assert {(frame.width, frame.height) for frame in frames} == {(WIDTH, HEIGHT)}
        levels = {frame.level for frame in frames}
        assert len(levels) >= 20  # the counter moves: frames, not one picture repeated
        assert all(min(abs(level - e) for e in expected) <= 6 for level in levels)
    await asyncio.wait_for(playback.finished.wait(), 5)
    await wait_for(lambda: relay.streams[SESSION].playback is None)
    assert stream_status(relay, SESSION).mode is None
    assert all(viewer.pc.connectionState == "connected" for viewer in viewers)
    for viewer in viewers:
        await viewer.close()


async def test_a_live_publisher_is_held_back_while_the_recording_plays_then_goes_on(
    live_client: httpx.AsyncClient, relay: Relay, settings: RelaySettings, tokens: PublishTokens
) -> None:
    make_video(settings.media_dir / "address.mp4", seconds=2.5, audio=False)
    publisher = await publish(live_client, WHIP, tokens.token(SESSION), synthetic.PatternTrack())
    viewer = await watch(live_client, WHEP, pass_for("delegate"))
    before = await watch_frames(viewer.tracks["video"], seconds=1.5)

    playback = await relay.play(SESSION, "address.mp4")
    started = time.monotonic()
    during_and_after = await watch_frames(viewer.tracks["video"], seconds=6)

    assert {(f.width, f.height) for f in before} == {(synthetic.WIDTH, synthetic.HEIGHT)}
    recorded = [f for f in during_and_after if (f.width, f.height) == (WIDTH, HEIGHT)]
    live_again = [f for f in during_and_after if (f.width, f.height) == (synthetic.WIDTH, synthetic.HEIGHT)]
    assert len(recorded) >= 45
    first_recorded, last_recorded = recorded[0].at, recorded[-1].at
    assert first_recorded - started < 1.0  # a keyframe within a second
    # While the recording plays, nothing of the publisher reaches the viewer.
    assert not [f for f in live_again if first_recorded <= f.at <= last_recorded]
    # Then the publisher's picture comes back, from a keyframe asked of it (PLI), within a second or so.
    after = [f for f in live_again if f.at > last_recorded]
    assert len(after) >= 30
    assert after[0].at - last_recorded < 1.5
    assert playback.finished.is_set()
    assert stream_status(relay, SESSION).mode == "forward"
    assert publisher.pc.connectionState == "connected"
    for peer in (publisher, viewer):
        await peer.close()


async def test_a_second_play_while_one_plays_is_refused(relay: Relay, settings: RelaySettings) -> None:
    make_video(settings.media_dir / "address.mp4", seconds=3, audio=False)
    await relay.play(SESSION, "address.mp4")

    with pytest.raises(PlaybackConflict):
        await relay.play(SESSION, "address.mp4")

    assert await relay.stop_playback(SESSION)
    assert SESSION not in relay.streams  # nobody watches: the stream is gone with its playback
    assert not await relay.stop_playback(SESSION)


@pytest.mark.parametrize("name", ["garbage.mp4", "cut.mp4", "missing.mp4", "../outside.mp4", "tone.wav"])
async def test_a_file_that_is_not_a_video_is_refused_and_leaves_no_stream(
    relay: Relay, settings: RelaySettings, name: str
) -> None:
    (settings.media_dir / "garbage.mp4").write_bytes(b"this is not a video\n" * 500)
    whole = make_video(settings.media_dir / "whole.mp4", seconds=2).read_bytes()
    (settings.media_dir / "cut.mp4").write_bytes(whole[: len(whole) // 2])  # its index, at the end, is lost
    (settings.media_dir.parent / "outside.mp4").write_bytes(b"")
    wav = settings.media_dir / "tone.wav"
    make_video(settings.media_dir / "with-video.mp4", seconds=0.5)
    _sound_only(settings.media_dir / "with-video.mp4", wav)

    with pytest.raises(PlaybackRefused) as refused:
        await relay.play(SESSION, name)

    assert refused.value.status == 422
    assert SESSION not in relay.streams


def _sound_only(source: Path, target: Path) -> None:
    import av

    with av.open(str(source)) as reading, av.open(str(target), "w", format="wav") as writing:
        out = writing.add_stream("pcm_s16le", rate=48_000)
        for frame in reading.decode(audio=0):
            frame.pts = None
            for packet in out.encode(frame):
                writing.mux(packet)


async def test_a_file_cut_off_midway_ends_its_playback_and_the_publisher_goes_on(
    live_client: httpx.AsyncClient,
    relay: Relay,
    settings: RelaySettings,
    tokens: PublishTokens,
    caplog: pytest.LogCaptureFixture,
) -> None:
    whole = make_video(settings.media_dir / "whole.ts", seconds=6, audio=False).read_bytes()
    (settings.media_dir / "cut.ts").write_bytes(whole[: len(whole) // 3])  # as an interrupted copy leaves it
    publisher = await publish(live_client, WHIP, tokens.token(SESSION), synthetic.PatternTrack())
    viewer = await watch(live_client, WHEP, pass_for("delegate"))
    await wait_connected(viewer.pc)
    caplog.set_level(logging.INFO, logger="realtime.media")

    started = time.monotonic()
    playback = await relay.play(SESSION, "cut.ts")
    await asyncio.wait_for(playback.finished.wait(), 10)
    ended = time.monotonic() - started
    await wait_for(lambda: relay.streams[SESSION].playback is None)
    frames = await watch_frames(viewer.tracks["video"], seconds=2)

    assert ended < 4.0  # what was there, about two seconds, not the six the file was meant to hold
    assert any("cut.ts" in record.getMessage() for record in caplog.records if "ended" in record.getMessage())
    assert len([f for f in frames if (f.width, f.height) == (synthetic.WIDTH, synthetic.HEIGHT)]) >= 20
    for peer in (publisher, viewer):
        await peer.close()
