"""The H.264/AAC rendition: encoded once per stream for HLS and restreams, from a keyframe, muxable as it comes."""

from __future__ import annotations

import asyncio
import io

import av
import httpx
import pytest

from realtime.media.relay import Relay
from realtime.media.rendition import RenditionPacket, RenditionSubscription, add_streams, fit_size
from server.streams.tokens import PublishTokens
from tests.media.clients import publish, wait_connected
from tests.media.synthetic import HEIGHT, WIDTH, PatternTrack, ToneTrack

SESSION = "12"


async def collect(subscription: RenditionSubscription, seconds: float) -> list[RenditionPacket]:
    packets: list[RenditionPacket] = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while loop.time() < deadline:
        item = await asyncio.to_thread(subscription.get, 0.2)
        if item is not None:
            packets.append(item)
    return packets


def mux_and_decode(subscription: RenditionSubscription, packets: list[RenditionPacket], fmt: str) -> dict[str, int]:
    """Mux the packets as a consumer would (codec parameters from the subscription), then decode the result."""
    buffer = io.BytesIO()
    with av.open(buffer, "w", format=fmt) as container:
        video, audio = add_streams(container, subscription.video, subscription.audio)
        for item in packets:
            item.packet.stream = video if item.kind == "video" else audio
            container.mux(item.packet)
    buffer.seek(0)
    counts = {"video": 0, "audio": 0, "width": 0, "height": 0}
    with av.open(buffer, "r", format=fmt) as readback:
        for frame in readback.decode(*readback.streams):
            if isinstance(frame, av.VideoFrame):
                counts["video"] += 1
                counts["width"], counts["height"] = frame.width, frame.height
            else:
                counts["audio"] += 1
    return counts


def test_a_picture_is_scaled_to_fit_640_by_360_keeping_its_shape() -> None:
    assert fit_size(1280, 720) == (640, 360)
    assert fit_size(640, 480) == (480, 360)
    assert fit_size(320, 240) == (320, 240)  # never enlarged
    assert fit_size(1080, 1920) == (202, 360)


@pytest.mark.slow
async def test_a_live_stream_is_encoded_once_to_h264_and_aac_for_every_subscriber(
    live_client: httpx.AsyncClient, tokens: PublishTokens, relay: Relay
) -> None:
    publisher = await publish(live_client, f"/whip/{SESSION}", tokens.token(SESSION), PatternTrack(), ToneTrack(440))
    await wait_connected(publisher.pc)
    first = relay.renditions.subscribe(SESSION)
    second = relay.renditions.subscribe(SESSION)
    assert len(relay.renditions.by_key) == 1  # one encoder for both
    packets = await collect(first, 5.0)
    second.close()
    assert relay.renditions.get(SESSION) is not None  # the first subscriber still reads

    video = [p for p in packets if p.kind == "video"]
    audio = [p for p in packets if p.kind == "audio"]
    assert video and video[0].keyframe  # a subscriber starts from a keyframe
    assert len(video) >= 60  # about 30 frames a second
    assert len(audio) >= 100  # 1024 samples at 48 kHz: 47 a second
    keyframe_times = [p.seconds for p in video if p.keyframe]
    assert len(keyframe_times) >= 2
    gaps = [b - a for a, b in zip(keyframe_times, keyframe_times[1:], strict=False)]
    assert max(gaps) <= 2.5, keyframe_times  # a keyframe at least every two seconds (a frame late at most)
    assert sum(1.8 <= gap <= 2.2 for gap in gaps) >= 1, keyframe_times  # on a two-second cadence, plus any asked
    video_pts = [p.packet.pts for p in video]
    assert video_pts == sorted(video_pts) and len(set(video_pts)) == len(video_pts)
    assert abs(video[-1].seconds - audio[-1].seconds) < 1.0  # picture and sound in step (a loaded machine lags)
    assert first.video is not None and (first.video.width, first.video.height) == fit_size(WIDTH, HEIGHT)
    assert first.video.extradata.startswith((b"\x00\x00\x00\x01", b"\x00\x00\x01"))  # Annex B SPS/PPS
    assert first.audio.extradata  # AudioSpecificConfig

    for fmt in ("flv", "mpegts", "mp4"):
        decoded = mux_and_decode(first, packets, fmt)
        assert decoded["video"] >= len(video) - 2
        assert (decoded["width"], decoded["height"]) == (WIDTH, HEIGHT)
        assert decoded["audio"] >= len(audio) - 2

    first.close()
    assert relay.renditions.get(SESSION) is None  # stopped with its last subscriber
    stream = relay.streams[SESSION]
    assert stream.video.fanout.taps == [] and stream.audio.fanout.taps == []
    assert first.get(0.1) is None
    await publisher.close()
