"""The relay records what it forwards: segments that decode on their own, with video and sound, as long as the
stream lasted; nothing when recording is off; a full disk stops the recording, never the stream."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import av
import httpx
import pytest
import uvicorn

from realtime.media.app import create_relay_app
from realtime.media.config import RelaySettings
from realtime.media.encoder import VIDEO_TIME_BASE
from realtime.media.policy import signed_policy
from realtime.media.recorder import Recorder, RecordEverything
from realtime.media.relay import Relay
from realtime.media.status import any_status, stream_status
from server.streams.recording_files import RecorderState, read_status, recording_dir, segments
from server.streams.tokens import PublishTokens, interpreter_pass, viewer_pass
from tests.media.clients import publish, video_frames, wait_connected, watch
from tests.media.recordings import make_video
from tests.media.synthetic import HEIGHT, WIDTH, PatternTrack, ToneTrack
from tests.support.media import SECRET, wait_for
from tests.support.ports import free_port

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
    first: dict[str, float]  # when the first video and the first audio frame play, in seconds


def decode(path: Path) -> Decoded:
    """Every frame of a segment, decoded; its length from its first to its last frame."""
    video = audio = 0
    size = None
    times: list[float] = []
    first: dict[str, float] = {}
    with av.open(str(path)) as container:
        for frame in container.decode(*container.streams):
            kind = "video" if isinstance(frame, av.VideoFrame) else "audio"
            if isinstance(frame, av.VideoFrame):
                video += 1
                size = (frame.width, frame.height)
            else:
                audio += 1
            if frame.pts is not None and frame.time_base is not None:
                times.append(float(frame.pts * frame.time_base))
                first.setdefault(kind, times[-1])
    return Decoded(video, audio, max(times) - min(times) if times else 0.0, size, first)


def pass_for(account: str) -> str:
    return viewer_pass(SECRET, SESSION, account, expires_at=int(time.time()) + 300)


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
        assert abs(part.first["audio"] - part.first["video"]) < 0.2  # picture and sound start together
    total = sum(part.seconds for part in decoded)
    assert published - 2.0 <= total <= published + 1.0
    assert read_status(folder(settings)) is not None
    assert read_status(folder(settings))["state"] == RecorderState.stopped  # type: ignore[index]


async def test_a_played_video_address_is_recorded_as_viewers_got_it(
    live_client: httpx.AsyncClient, relay: Relay, settings: RelaySettings
) -> None:
    make_video(settings.media_dir / "address.mp4", seconds=4.0)
    viewer = await watch(live_client, WHEP, pass_for("delegate"), kinds=("video", "audio"))
    await wait_connected(viewer.pc)

    playback = await relay.play(SESSION, "address.mp4")
    seen = await video_frames(viewer.tracks["video"], seconds=3)
    await asyncio.wait_for(playback.finished.wait(), timeout=15)
    await viewer.close()
    await wait_for(lambda: SESSION not in relay.streams)

    found = segments(folder(settings))
    assert seen and found
    assert all(segment.complete and segment.ext == "webm" for segment in found)
    decoded = [decode(segment.path) for segment in found]
    assert {part.size for part in decoded} == {(320, 240)}
    assert sum(part.video_frames for part in decoded) >= 90  # 4 s at 30 fps, less what led to the first keyframe
    assert sum(part.audio_frames for part in decoded) >= 100
    assert 3.0 <= sum(part.seconds for part in decoded) <= 5.0


async def test_an_interpretation_channel_is_recorded_as_audio_only(
    live_client: httpx.AsyncClient, relay: Relay, settings: RelaySettings
) -> None:
    key = "12_ja"
    relay.set_on_air(key, "a1")
    token = interpreter_pass(SECRET, key, "a1", expires_at=int(time.time()) + 300)
    interpreter = await publish(live_client, f"/whip/{key}", token, ToneTrack(600))
    await wait_connected(interpreter.pc)
    await asyncio.sleep(8)
    assert any_status(relay, key).recording == "recording"
    await interpreter.close()
    await wait_for(lambda: key not in relay.channels)

    found = segments(folder(settings, key))
    assert len(found) >= 2
    decoded = [decode(segment.path) for segment in found]
    assert all(part.video_frames == 0 for part in decoded)
    assert sum(part.audio_frames for part in decoded) >= 300  # 50 Opus frames a second
    assert 6.0 <= sum(part.seconds for part in decoded) <= 9.0


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A 1 MiB tmpfs as the media folder: it fills within seconds of recording."""
    mount = tmp_path / "tiny"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


@pytest.mark.slow  # fault injection
async def test_a_full_disk_stops_the_recording_with_a_status_and_viewers_go_on(
    tiny_disk: Path, tokens: PublishTokens, tmp_path: Path
) -> None:
    settings = RelaySettings(
        secret_key=SECRET, host_addresses=("127.0.0.1",), connect_timeout=10.0, media_dir=tiny_disk, record=True
    )
    app = create_relay_app(settings, policy=signed_policy(SECRET, tokens))
    relay: Relay = app.state.media.relay
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    serving = asyncio.create_task(server.serve())
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=20) as client:
            while not server.started:
                await asyncio.sleep(0.02)
            publisher = await publish(client, WHIP, tokens.token(SESSION), PatternTrack(), ToneTrack(440))
            viewer = await watch(client, WHEP, pass_for("delegate"))
            await wait_connected(viewer.pc)
            await wait_for(lambda: stream_status(relay, SESSION).recording == "disk_full", timeout=40)

            status = stream_status(relay, SESSION)
            after = await video_frames(viewer.tracks["video"], seconds=3)
            assert len(after) >= 30  # the stream goes on
            assert stream_status(relay, SESSION).live
            assert "disk is full" in status.recording_message
            on_disk = json.loads((recording_dir(tiny_disk, SESSION) / "status.json").read_text())
            assert on_disk["state"] == RecorderState.disk_full
            assert "disk is full" in on_disk["message"]
            written = segments(recording_dir(tiny_disk, SESSION))
            assert written and decode(written[0].path).video_frames > 0  # what was written before stays playable
            for peer in (publisher, viewer):
                await peer.close()
    finally:
        await relay.close()
        server.should_exit = True
        await serving


async def test_an_h264_publishers_own_frames_are_recorded_as_mp4(
    live_client: httpx.AsyncClient, tokens: PublishTokens, relay: Relay, settings: RelaySettings
) -> None:
    publisher = await publish(
        live_client, WHIP, tokens.token(SESSION), PatternTrack(), ToneTrack(440), video_codec="video/H264"
    )
    await wait_connected(publisher.pc)
    await wait_for(lambda: stream_status(relay, SESSION).recording == "recording")
    await asyncio.sleep(8)
    assert stream_status(relay, SESSION).mode == "transcode"
    await publisher.close()
    await wait_for(lambda: SESSION not in relay.streams)

    found = segments(folder(settings))
    assert found and all(segment.complete and segment.ext == "mp4" for segment in found)
    with av.open(str(found[0].path)) as container:
        assert container.streams.video[0].codec_context.name == "h264"  # as the publisher sent it
        assert container.streams.audio[0].codec_context.name == "opus"
    decoded = [decode(segment.path) for segment in found]
    assert all(part.size == (WIDTH, HEIGHT) for part in decoded)
    assert sum(part.video_frames for part in decoded) >= 30 * 6
    assert sum(part.audio_frames for part in decoded) >= 50 * 6
    assert 6.0 <= sum(part.seconds for part in decoded) <= 9.5


def vp8_packets(count: int) -> list[av.Packet]:
    """``count`` VP8 packets of a 320x240 picture at 30 fps, the first a keyframe, stamped as the relay stamps."""
    encoder = av.CodecContext.create("libvpx", "w")
    assert isinstance(encoder, av.VideoCodecContext)
    encoder.width, encoder.height, encoder.pix_fmt = 320, 240, "yuv420p"
    encoder.time_base = VIDEO_TIME_BASE
    packets: list[av.Packet] = []
    for index in range(count):
        frame = av.VideoFrame(320, 240, "yuv420p")
        for plane in frame.planes:
            plane.update(bytes([(index * 7) % 200 + 20]) * plane.buffer_size)
        frame.pts, frame.time_base = index * 3000, VIDEO_TIME_BASE
        packets += encoder.encode(frame)
    return packets


async def test_a_write_error_stops_the_recording_as_failed_and_the_next_source_tries_again(tmp_path: Path) -> None:
    recorder = Recorder("12", tmp_path, switch=RecordEverything(), request_keyframe=None)
    blocked = recording_dir(tmp_path, "12")
    blocked.parent.mkdir(parents=True)
    blocked.write_text("a file where the recording's folder should be")

    first = vp8_packets(10)
    recorder.video(first[0], width=320, height=240)  # dropped: the recorder first asks whether to record
    await asyncio.sleep(0.1)
    for packet in first:
        recorder.video(packet, width=320, height=240)
    await wait_for(lambda: recorder.state == RecorderState.failed)
    assert "writing the recording failed" in recorder.message

    recorder.stop()  # the publisher leaves; the next one tries again
    blocked.unlink()
    for packet in vp8_packets(30):
        recorder.video(packet, width=320, height=240)
    assert recorder.state == RecorderState.recording
    await recorder.close()

    found = segments(blocked)
    assert len(found) == 1 and found[0].complete
    assert decode(found[0].path).video_frames == 30
    assert (read_status(blocked) or {}).get("state") == RecorderState.stopped


async def test_a_silent_publishers_segment_plays_while_it_is_still_being_written(
    live_client: httpx.AsyncClient, tokens: PublishTokens, relay: Relay, settings: RelaySettings
) -> None:
    publisher = await publish(live_client, WHIP, tokens.token(SESSION), PatternTrack())  # video, no sound
    await wait_connected(publisher.pc)
    await wait_for(lambda: stream_status(relay, SESSION).recording == "recording")
    await asyncio.sleep(4)

    being_written = segments(folder(settings))[-1]
    assert not being_written.complete
    with av.open(str(being_written.path)) as container:
        assert not container.streams.audio  # no sound track for a source without sound
        shown = sum(1 for _ in container.decode(video=0))
    assert shown >= 30 * 2  # what a crash now would leave: all but the last second or so
    await publisher.close()


async def test_a_recording_deleted_while_it_is_made_goes_on_in_new_segments(tmp_path: Path) -> None:
    recorder = Recorder("12", tmp_path, switch=RecordEverything(), request_keyframe=None, segment_seconds=0.2)
    where = recording_dir(tmp_path, "12")
    first = vp8_packets(10)
    recorder.video(first[0], width=320, height=240)  # dropped: the recorder first asks whether to record
    await asyncio.sleep(0.1)
    for packet in first:
        recorder.video(packet, width=320, height=240)
    await wait_for(lambda: bool(segments(where)))

    shutil.rmtree(where)  # the organiser deletes the recording while the stream goes on
    await asyncio.sleep(0.3)
    for packet in vp8_packets(10):  # the next keyframe opens the next segment
        recorder.video(packet, width=320, height=240)
    await wait_for(lambda: (read_status(where) or {}).get("state") == RecorderState.recording)
    await recorder.close()

    assert (read_status(where) or {}).get("state") == RecorderState.stopped
    found = segments(where)
    assert len(found) == 1 and found[0].complete and found[0].number == 2
    assert decode(found[0].path).video_frames == 10
