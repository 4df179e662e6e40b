"""Fan-out and encoding without a network: queues, keyframe skipping, rate-limited keyframes, timestamps."""

from __future__ import annotations

import asyncio
import fractions
import time
from concurrent.futures import ThreadPoolExecutor

import av
import pytest
from aiortc.mediastreams import MediaStreamError

from realtime.media.config import RelaySettings
from realtime.media.encoder import Timeline, VideoEncoder
from realtime.media.fanout import Fanout, PacketTrack
from realtime.media.ingest import VideoPipeline
from realtime.media.packetiser import PackedFrame
from tests.media.synthetic import HEIGHT, WIDTH, pattern_frames

pytestmark = pytest.mark.unit


def packet(keyframe: bool, label: bytes = b"x") -> av.Packet:
    """A one-chunk frame: its packed form carries ``label`` as its only payload chunk."""
    made = av.Packet(label)
    made.is_keyframe = keyframe
    return made


class KeyframeCounter:
    def __init__(self) -> None:
        self.requests = 0
        self.urgent = 0

    def __call__(self, urgent: bool) -> None:
        self.requests += 1
        self.urgent += urgent


def chunks(frame: PackedFrame) -> bytes:
    return b"".join(frame.chunks)


async def started(fanout: Fanout) -> tuple[PacketTrack, asyncio.Future[PackedFrame]]:
    """A viewer whose sender has asked for its first frame, as a connected viewer's would."""
    track = fanout.subscribe()
    waiting = asyncio.ensure_future(track.next_frame())
    await asyncio.sleep(0)
    return track, waiting


async def test_every_viewer_gets_the_same_packed_frames_from_a_keyframe_on() -> None:
    fanout = Fanout("video", max_queue=10, request_keyframe=KeyframeCounter())
    (one, first_one), (two, first_two) = [await started(fanout) for _ in range(2)]
    delta, key, after = packet(False, b"d"), packet(True, b"k"), packet(False, b"a")

    for sent in (delta, key, after):
        fanout.publish(sent)

    assert [chunks(await first_one), chunks(await one.next_frame())] == [b"k", b"a"]
    assert [chunks(await first_two), chunks(await two.next_frame())] == [b"k", b"a"]
    assert (await first_one) is (await first_two)  # packetised once for both


async def test_joining_viewer_asks_for_a_keyframe_once_its_connection_pulls() -> None:
    requests = KeyframeCounter()
    fanout = Fanout("video", max_queue=10, request_keyframe=requests)
    track = fanout.subscribe()
    fanout.publish(packet(True))  # before the viewer's connection is up: not queued
    assert requests.requests == 0

    waiting = asyncio.ensure_future(track.next_frame())
    await asyncio.sleep(0)

    assert requests.requests == 1
    waiting.cancel()


async def test_slow_viewer_skips_to_the_next_keyframe_instead_of_queueing() -> None:
    requests = KeyframeCounter()
    fanout = Fanout("video", max_queue=3, request_keyframe=requests)
    slow, first = await started(fanout)
    fanout.publish(packet(True, b"k0"))
    assert chunks(await first) == b"k0"
    asked_before = requests.requests

    for n in range(6):  # the viewer reads nothing meanwhile
        fanout.publish(packet(False, b"d%d" % n))
    fanout.publish(packet(True, b"k1"))
    fanout.publish(packet(False, b"after"))

    assert [chunks(await slow.next_frame()) for _ in range(2)] == [b"k1", b"after"]
    assert slow.skips == 1
    assert requests.requests > asked_before
    assert requests.urgent == 1  # only the join was urgent; the skip waits for the relay to recover


async def test_stopped_viewer_leaves_the_fanout_and_its_recv_ends() -> None:
    fanout = Fanout("video", max_queue=3)
    track, waiting = await started(fanout)

    track.stop()

    assert fanout.tracks == set()
    with pytest.raises(MediaStreamError):
        await waiting


def test_keyframe_requests_are_coalesced_and_rate_limited() -> None:
    now = [0.0]
    encoder = VideoEncoder(bitrate=500_000, keyframe_interval=60, keyframe_min_interval=0.5, clock=lambda: now[0])
    planes = pattern_frames(4)
    keyframes = []
    for n in range(60):  # two seconds at 30 fps, a keyframe request before every frame
        now[0] = n / 30
        encoder.request_keyframe()
        frame = av.VideoFrame(WIDTH, HEIGHT, "yuv420p")
        frame.planes[0].update(planes[n % 4])
        packets = encoder.encode(frame, n * 3000)
        keyframes += [n for p in packets if p.is_keyframe]

    assert keyframes == [0, 15, 30, 45]
    assert encoder.keyframes == 4


def test_timeline_keeps_rising_across_publishers() -> None:
    now = [100.0]
    timeline = Timeline(90_000, clock=lambda: now[0])
    base = fractions.Fraction(1, 90_000)
    first = [timeline.stamp(pts, base) for pts in (5000, 8000, 11000)]
    now[0] = 103.0  # three seconds of silence, then a new publisher whose clock starts anew
    timeline.new_source()
    second = [timeline.stamp(pts, base) for pts in (0, 3000)]

    assert first == [0, 3000, 6000]
    assert second == [270_000, 273_000]


async def test_keyframe_asks_to_the_publisher_are_coalesced_and_spaced() -> None:
    settings = RelaySettings(secret_key="k", keyframe_min_interval=0.2, keyframe_recovery_interval=0.6)
    with ThreadPoolExecutor(max_workers=1) as executor:
        pipeline = VideoPipeline(settings, executor)
        asks: list[float] = []
        pipeline.forward(lambda: asks.append(time.monotonic()))
        started = time.monotonic()

        for _ in range(5):
            pipeline.request_keyframe(urgent=True)  # a crowd joining at once
        await asyncio.sleep(0.05)
        pipeline.request_keyframe(urgent=False)  # a viewer that skipped
        pipeline.request_keyframe(urgent=True)  # then another joins
        await asyncio.sleep(0.8)
        await pipeline.close()

    offsets = [round(ask - started, 1) for ask in asks]
    assert offsets == [0.0, 0.2]


async def test_an_idle_viewers_sender_gets_each_frame_at_once_and_a_busy_one_from_its_queue() -> None:
    fanout = Fanout("video", max_queue=10, request_keyframe=KeyframeCounter())
    idle, idle_waiting = await started(fanout)
    busy, busy_waiting = await started(fanout)
    sent: list[bytes] = []
    idle.sink = lambda frame: sent.append(chunks(frame)) is None  # sent: True
    busy.sink = lambda frame: False  # its send would have to wait

    for frame in (packet(True, b"k"), packet(False, b"d")):
        fanout.publish(frame)

    assert sent == [b"k", b"d"]
    assert not idle_waiting.done()  # its task was never woken
    assert [chunks(await busy_waiting), chunks(await busy.next_frame())] == [b"k", b"d"]
    idle_waiting.cancel()
