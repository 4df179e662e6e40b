"""What a viewer receives now that each frame is packetised once per stream: its own continuous sequence numbers and
valid SRTP through everything that changes the stream under it (a skip to a keyframe, a new publisher, a playback and
the return to live), and frames it decodes throughout."""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiortc import MediaStreamTrack
from av import VideoFrame

from realtime.media.config import RelaySettings
from realtime.media.relay import Peer as RelayPeer
from realtime.media.relay import Relay
from realtime.media.status import stream_status
from server.streams.tokens import PublishTokens, viewer_pass
from tests.media import recordings
from tests.media.clients import (
    Peer,
    SrtpCapture,
    capture_srtp,
    publish,
    sequence_gaps,
    video_payload_types,
    wait_connected,
    watch,
)
from tests.media.recordings import make_video
from tests.media.synthetic import HEIGHT, WIDTH, PatternTrack
from tests.support.media import SECRET, wait_for

pytestmark = pytest.mark.integration

SESSION = "plenary"
RECORDING_SIZE = (recordings.WIDTH, recordings.HEIGHT)
WHIP = f"/whip/{SESSION}"
WHEP = f"/whep/{SESSION}"


@pytest.fixture
def settings(settings: RelaySettings, tmp_path: Path) -> RelaySettings:
    media = tmp_path / "media"
    media.mkdir()
    # A short queue and a quick recovery keyframe, so a stalled viewer skips, and gets going again, within seconds.
    return replace(settings, media_dir=media, viewer_queue_frames=5, keyframe_recovery_interval=0.5)


def pass_for(account: str) -> str:
    return viewer_pass(SECRET, SESSION, account, expires_at=int(time.time()) + 300)


async def frame_times(
    track: MediaStreamTrack, *, seconds: float, sizes: tuple[tuple[int, int], ...] = ((WIDTH, HEIGHT),)
) -> list[float]:
    """When each frame the viewer decodes within ``seconds`` came (each checked to be one of ``sizes``)."""
    times: list[float] = []
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            while True:
                frame = await track.recv()
                assert isinstance(frame, VideoFrame)
                assert (frame.width, frame.height) in sizes
                times.append(time.monotonic())
    return times


def relay_side(relay: Relay, viewer: Peer) -> RelayPeer:
    return relay.streams[SESSION].viewers[viewer.location.rsplit("/", 1)[1]]


class _AwaitedPath:
    """No direct send: every packet takes aiortc's awaited path, as over a TURN-relayed pair."""

    def sender(self) -> None:
        return None


def stall_sends(viewer: RelayPeer, seconds: float) -> None:
    """Make the relay's next send to this viewer wait ``seconds`` (a send that must wait, like a TURN-relayed path's
    first packet while its channel is bound): meanwhile the stream goes on and the viewer's queue overflows."""
    sender = next(s for s in viewer.pc.getSenders() if s.kind == "video")
    packed: Any = sender._run_rtp.__self__  # type: ignore[attr-defined]  # the relay's packed sender
    packed._direct = _AwaitedPath()
    dtls = sender.transport
    send = dtls._send_rtp
    held = False

    async def waiting(data: bytes) -> None:
        nonlocal held
        if not held:
            held = True
            await asyncio.sleep(seconds)
        await send(data)

    dtls._send_rtp = waiting  # type: ignore[method-assign]


def assert_one_continuous_stream(viewer: Peer, capture: SrtpCapture) -> None:
    """Every SRTP packet decrypted; one SSRC whose sequence numbers have no hole (NACKed ones count once resent)
    and whose timestamps never go back."""
    assert capture.arrived - len(capture.lost) == len(capture.packets)
    vp8, rtx = video_payload_types(viewer)
    media = capture.media(vp8)
    assert len({packet.ssrc for packet in media}) == 1
    recovered = capture.retransmitted(rtx) if rtx is not None else set()
    assert sequence_gaps(media, recovered) == []
    steps = [(b.timestamp - a.timestamp) % (1 << 32) for a, b in zip(media, media[1:], strict=False)]
    assert all(step < 1 << 31 for step in steps)


async def test_a_slow_viewer_skips_to_a_keyframe_with_continuous_sequence_numbers_and_valid_srtp(
    live_client: httpx.AsyncClient, tokens: PublishTokens, relay: Relay
) -> None:
    publisher = await publish(live_client, WHIP, tokens.token(SESSION), PatternTrack())
    steady = await watch(live_client, WHEP, pass_for("steady"))
    slow = await watch(live_client, WHEP, pass_for("slow"))
    steady_capture, slow_capture = capture_srtp(steady), capture_srtp(slow)
    for viewer in (steady, slow):
        await wait_connected(viewer.pc)
    await wait_for(lambda: relay_side(relay, slow).tracks[0].started)
    stalled_track = relay_side(relay, slow).tracks[0]

    async def stall_after(delay: float) -> float:
        await asyncio.sleep(delay)
        stall_sends(relay_side(relay, slow), seconds=1.0)
        return time.monotonic() + 1.0

    steady_times, slow_times, stall_ends = await asyncio.gather(
        frame_times(steady.tracks["video"], seconds=5),
        frame_times(slow.tracks["video"], seconds=5),
        stall_after(1.5),
    )

    assert stalled_track.skips >= 1  # its queue overflowed: it dropped it and waited for a keyframe
    assert len(steady_times) >= 90
    assert len([t for t in slow_times if t > stall_ends + 0.7]) >= 30  # decoding again within a keyframe's wait
    assert_one_continuous_stream(slow, slow_capture)
    assert_one_continuous_stream(steady, steady_capture)
    for peer in (publisher, steady, slow):
        await peer.close()


async def test_viewers_keep_decoding_one_continuous_stream_when_the_publisher_is_replaced(
    live_client: httpx.AsyncClient, tokens: PublishTokens, relay: Relay
) -> None:
    first = await publish(live_client, WHIP, tokens.token(SESSION), PatternTrack())
    viewer = await watch(live_client, WHEP, pass_for("delegate"))
    capture = capture_srtp(viewer)
    before = await frame_times(viewer.tracks["video"], seconds=2)

    await first.close()
    await wait_for(lambda: relay.streams[SESSION].publisher is None)
    second = await publish(live_client, WHIP, tokens.token(SESSION), PatternTrack())
    after = await frame_times(viewer.tracks["video"], seconds=3)

    assert len(before) >= 30
    assert len(after) >= 45
    assert_one_continuous_stream(viewer, capture)
    for peer in (second, viewer):
        await peer.close()


async def test_viewers_keep_decoding_one_continuous_stream_through_a_playback_and_back_to_live(
    live_client: httpx.AsyncClient, tokens: PublishTokens, relay: Relay, settings: RelaySettings
) -> None:
    make_video(settings.media_dir / "intro.mp4", seconds=2, audio=False)
    publisher = await publish(live_client, WHIP, tokens.token(SESSION), PatternTrack())
    viewer = await watch(live_client, WHEP, pass_for("delegate"))
    capture = capture_srtp(viewer)
    live = await frame_times(viewer.tracks["video"], seconds=1.5)

    playback = await relay.play(SESSION, "intro.mp4")
    # the first few may still be the publisher's, the rest are the recording's
    played = await frame_times(viewer.tracks["video"], seconds=1.5, sizes=((WIDTH, HEIGHT), RECORDING_SIZE))
    await asyncio.wait_for(playback.finished.wait(), 5)
    await wait_for(lambda: stream_status(relay, SESSION).mode == "forward")
    live_again = await frame_times(viewer.tracks["video"], seconds=2, sizes=((WIDTH, HEIGHT), RECORDING_SIZE))

    assert [len(live) >= 20, len(played) >= 20, len(live_again) >= 30] == [True, True, True]
    assert_one_continuous_stream(viewer, capture)
    for peer in (publisher, viewer):
        await peer.close()


async def test_packets_a_viewer_lost_are_sent_again_when_it_asks(
    live_client: httpx.AsyncClient, tokens: PublishTokens
) -> None:
    publisher = await publish(live_client, WHIP, tokens.token(SESSION), PatternTrack())
    viewer = await watch(live_client, WHEP, pass_for("delegate"))
    capture = capture_srtp(viewer, lose={40, 41, 90})

    frames = await frame_times(viewer.tracks["video"], seconds=3)

    vp8, rtx = video_payload_types(viewer)
    lost = {sequence for payload_type, sequence in capture.lost if payload_type == vp8}
    assert len(lost) == 3
    assert rtx is not None and lost <= capture.retransmitted(rtx)  # the viewer's NACKs answered over RTX
    assert len(frames) >= 60
    assert_one_continuous_stream(viewer, capture)
    for peer in (publisher, viewer):
        await peer.close()
