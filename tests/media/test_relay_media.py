"""End to end over real HTTP: an aiortc publisher, the relay, and aiortc viewers that decode what they get."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from aiortc import AudioStreamTrack, MediaStreamTrack
from av import AudioFrame

from realtime.media.relay import Relay
from realtime.media.status import stream_status
from server.streams.tokens import PublishTokens, viewer_pass
from tests.media.clients import SignallingFailed, publish, video_frames, wait_connected, watch
from tests.media.synthetic import HEIGHT, WIDTH, PatternTrack
from tests.support.media import SECRET, wait_for

pytestmark = pytest.mark.integration

SESSION = "keynote"
WHIP = f"/whip/{SESSION}"
WHEP = f"/whep/{SESSION}"


def pass_for(account: str, session: str = SESSION) -> str:
    return viewer_pass(SECRET, session, account, expires_at=int(time.time()) + 300)


async def test_stream_reaches_every_viewer_as_decodable_frames(
    live_client: httpx.AsyncClient, tokens: PublishTokens
) -> None:
    publisher = await publish(live_client, WHIP, tokens.token(SESSION), PatternTrack())
    viewers = [await watch(live_client, WHEP, pass_for(f"delegate-{n}")) for n in range(3)]

    received = await asyncio.gather(*(video_frames(v.tracks["video"], seconds=4) for v in viewers))

    for frames in received:
        assert len(frames) >= 30
        assert {(frame.width, frame.height) for frame in frames} == {(WIDTH, HEIGHT)}
    for peer in [publisher, *viewers]:
        await peer.close()


async def test_h264_publisher_is_transcoded_once_for_vp8_viewers(
    live_client: httpx.AsyncClient, tokens: PublishTokens, relay: Relay
) -> None:
    publisher = await publish(live_client, WHIP, tokens.token(SESSION), PatternTrack(), video_codec="video/H264")
    viewers = [await watch(live_client, WHEP, pass_for(f"delegate-{n}")) for n in range(2)]

    received = await asyncio.gather(*(video_frames(v.tracks["video"], seconds=4) for v in viewers))

    assert stream_status(relay, SESSION).mode == "transcode"
    for frames in received:
        assert len(frames) >= 20
        assert {(frame.width, frame.height) for frame in frames} == {(WIDTH, HEIGHT)}
    for peer in [publisher, *viewers]:
        await peer.close()


async def test_viewer_joining_mid_stream_sees_a_picture_within_a_second(
    live_client: httpx.AsyncClient, tokens: PublishTokens, relay: Relay
) -> None:
    publisher = await publish(live_client, WHIP, tokens.token(SESSION), PatternTrack())
    early = await watch(live_client, WHEP, pass_for("early"))
    await video_frames(early.tracks["video"], seconds=2.5)  # the stream is well past its first keyframe
    keyframes_before = relay.streams[SESSION].video.keyframes

    late = await watch(live_client, WHEP, pass_for("late"))
    await wait_connected(late.pc)
    joined = time.monotonic()
    async with asyncio.timeout(5):
        await late.tracks["video"].recv()
    delay = time.monotonic() - joined

    assert delay < 1.0
    assert relay.streams[SESSION].video.keyframes > keyframes_before
    for peer in (publisher, early, late):
        await peer.close()


async def test_viewers_keep_watching_when_the_publisher_drops_and_comes_back(
    live_client: httpx.AsyncClient, tokens: PublishTokens, relay: Relay
) -> None:
    token = tokens.token(SESSION)
    first = await publish(live_client, WHIP, token, PatternTrack())
    viewers = [await watch(live_client, WHEP, pass_for(f"delegate-{n}")) for n in range(2)]
    assert all(
        len(frames) > 0
        for frames in await asyncio.gather(*(video_frames(v.tracks["video"], seconds=2) for v in viewers))
    )

    # A clean stop: the encoder DELETEs its resource.
    deleted = await live_client.delete(first.location, headers={"Authorization": f"Bearer {token}"})
    await first.close()
    assert deleted.status_code == 200
    assert stream_status(relay, SESSION).publisher_state is None

    second = await publish(live_client, WHIP, token, PatternTrack())
    after_return = await asyncio.gather(*(video_frames(v.tracks["video"], seconds=3) for v in viewers))
    assert all(len(frames) >= 10 for frames in after_return)

    # An abrupt stop: the encoder vanishes without a DELETE; the next one is not refused as a second publisher.
    await second.close()
    await wait_for(lambda: relay.streams[SESSION].publisher is None)
    third = await publish(live_client, WHIP, token, PatternTrack())
    after_crash = await asyncio.gather(*(video_frames(v.tracks["video"], seconds=3) for v in viewers))

    assert all(len(frames) >= 10 for frames in after_crash)
    assert all(viewer.pc.connectionState == "connected" for viewer in viewers)
    for peer in [third, *viewers]:
        await peer.close()


async def test_second_publisher_is_refused_while_the_first_is_live(
    live_client: httpx.AsyncClient, tokens: PublishTokens
) -> None:
    first = await publish(live_client, WHIP, tokens.token(SESSION), PatternTrack())
    await wait_connected(first.pc)

    with pytest.raises(SignallingFailed) as refused:
        await publish(live_client, WHIP, tokens.token(SESSION), PatternTrack())

    assert refused.value.response.status_code == 409
    await first.close()


async def test_audio_passes_to_viewers_and_audio_only_viewers_get_no_video(
    live_client: httpx.AsyncClient, tokens: PublishTokens
) -> None:
    publisher = await publish(live_client, WHIP, tokens.token(SESSION), PatternTrack(), AudioStreamTrack())
    listener = await watch(live_client, WHEP, pass_for("listener"), kinds=("audio",))
    audio: MediaStreamTrack = listener.tracks["audio"]

    async with asyncio.timeout(5):
        frame = await audio.recv()

    assert isinstance(frame, AudioFrame)
    assert frame.sample_rate == 48000
    assert set(listener.tracks) == {"audio"}
    for peer in (publisher, listener):
        await peer.close()


async def test_status_shows_a_live_stream_with_its_viewers_and_bitrate(
    live_client: httpx.AsyncClient, tokens: PublishTokens, relay: Relay
) -> None:
    publisher = await publish(live_client, WHIP, tokens.token(SESSION), PatternTrack())
    viewer = await watch(live_client, WHEP, pass_for("delegate"))
    await video_frames(viewer.tracks["video"], seconds=2.5)

    status = stream_status(relay, SESSION)

    assert (status.live, status.viewers, status.publisher_state, status.mode) == (True, 1, "connected", "forward")
    assert (status.width, status.height) == (WIDTH, HEIGHT)
    assert 100_000 < status.bitrate < 2_000_000
    await publisher.close()
    await wait_for(lambda: not stream_status(relay, SESSION).live)
    assert stream_status(relay, SESSION).viewers == 1
    await viewer.close()


async def test_viewer_that_vanishes_without_delete_is_counted_out_within_seconds(
    live_client: httpx.AsyncClient, tokens: PublishTokens, relay: Relay
) -> None:
    publisher = await publish(live_client, WHIP, tokens.token(SESSION), PatternTrack())
    viewer = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.media.vanishing_viewer",
        str(live_client.base_url.join(WHEP)),
        pass_for("leaver"),
        stdout=subprocess.PIPE,
        cwd=Path(__file__).parents[2],
    )
    assert viewer.stdout is not None
    async with asyncio.timeout(30):
        assert await viewer.stdout.readline() == b"connected\n"
    await wait_for(lambda: stream_status(relay, SESSION).viewers == 1)

    viewer.kill()  # a browser closed without a DELETE: no goodbye of any kind
    await viewer.wait()
    vanished = time.monotonic()
    await wait_for(lambda: stream_status(relay, SESSION).viewers == 0, timeout=30)
    counted_out_after = time.monotonic() - vanished

    assert counted_out_after < 15  # about 7 s: five unanswered checks a second apart; it was 30 s or more
    await publisher.close()
