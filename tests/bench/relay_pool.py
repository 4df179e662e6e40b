"""Client side of the relay benchmark, run in its own processes: a synthetic publisher, or a pool of viewers.

    python -m tests.bench.relay_pool publish URL TOKEN
    python -m tests.bench.relay_pool watch URL COUNT --seconds S [--decoding K]

A pool of 200 viewers cannot decode 200 VP8 streams on two cores, so all but ``--decoding`` viewers count complete
frames (SRTP-decrypted RTP packets with the marker bit) without parsing or decoding them; the decoding ones prove
the frames decode. The pool prints READY once every viewer has its first frame, counts for ``--seconds`` after it reads
GO on standard input, prints one JSON line of frames per second per viewer, and exits.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import sys
import time

import httpx
from aiortc import RTCPeerConnection
from aiortc.codecs.vpx import Vp8Encoder
from aiortc.rtcdtlstransport import RTCDtlsTransport

from realtime.media.internals import restrict_host_addresses
from tests.media.clients import SignallingFailed, publish, watch
from tests.media.synthetic import PatternTrack

_original_handle_rtp = RTCDtlsTransport._handle_rtp_data
_counted: dict[RTCDtlsTransport, list[int]] = {}  # transport -> [complete frames, packets]


async def _count_rtp(self: RTCDtlsTransport, data: bytes, arrival_time_ms: int) -> None:
    """Counting viewers read the decrypted RTP header only: the marker bit ends a frame."""
    counts = _counted.get(self)
    if counts is None:
        await _original_handle_rtp(self, data, arrival_time_ms)
        return
    counts[1] += 1
    if len(data) > 12 and data[1] & 0x80:
        counts[0] += 1


RTCDtlsTransport._handle_rtp_data = _count_rtp  # type: ignore[method-assign]


PUBLISHER_BITRATE = 500_000


def steady_publisher_bitrate() -> None:
    """Keep the publisher at aiortc's default 500 kbit/s, as an encoder configured for a fixed bitrate would be.

    aiortc's VP8 encoder otherwise follows the relay's bandwidth estimates and restarts (with a keyframe) at each
    change of more than 10%, which would measure the publisher rather than the relay.
    """
    Vp8Encoder.target_bitrate = property(lambda self: PUBLISHER_BITRATE, lambda self, value: None)  # type: ignore[method-assign,assignment]


async def run_publisher(url: str, token: str) -> None:
    steady_publisher_bitrate()
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    async with httpx.AsyncClient(timeout=30) as client:
        peer = await publish(client, url, token, PatternTrack())
        print("PUBLISHING", flush=True)
        await stop.wait()
        await peer.close()


class Viewer:
    def __init__(self, pc: RTCPeerConnection, decoding: bool) -> None:
        self.pc = pc
        self.decoding = decoding
        self.decoded = 0
        self.receiver = pc.getReceivers()[0]
        self.transport = self.receiver.transport
        if not decoding:
            _counted[self.transport] = [0, 0]

    def frames(self) -> int:
        return self.decoded if self.decoding else _counted[self.transport][0]

    def packets(self) -> int:
        return 0 if self.decoding else _counted[self.transport][1]


async def _decode(viewer: Viewer) -> None:
    track = viewer.receiver.track
    while True:
        await track.recv()
        viewer.decoded += 1


async def run_viewers(url: str, count: int, seconds: float, decoding: int) -> None:
    viewers: list[Viewer] = []
    tasks: list[asyncio.Task[None]] = []
    async with httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=20)) as client:
        semaphore = asyncio.Semaphore(10)

        async def join(index: int) -> None:
            async with semaphore:
                for attempt in range(5):
                    try:
                        peer = await watch(client, url, None)
                        break
                    except (SignallingFailed, httpx.HTTPError):
                        await asyncio.sleep(0.5 * (attempt + 1))
                else:
                    raise RuntimeError("a viewer could not join")
            viewer = Viewer(peer.pc, decoding=index < decoding)
            viewers.append(viewer)
            if viewer.decoding:
                tasks.append(asyncio.create_task(_decode(viewer)))

        started = time.monotonic()
        await asyncio.gather(*(join(n) for n in range(count)))
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(120):  # an overloaded relay may never get to some: measure what is
                while any(v.frames() == 0 for v in viewers):
                    await asyncio.sleep(0.2)
        await asyncio.sleep(2.0)  # let join-time keyframes and queues settle
        print(f"READY {time.monotonic() - started:.1f}", flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
        before = [v.frames() for v in viewers]
        packets_before = sum(v.packets() for v in viewers)
        await asyncio.sleep(seconds)
        after = [v.frames() for v in viewers]
        packets = sum(v.packets() for v in viewers) - packets_before
        counting = sum(not v.decoding for v in viewers)
        fps = [(b - a) / seconds for a, b in zip(before, after, strict=True)]
        connected = sum(v.pc.connectionState == "connected" for v in viewers)
        decoded = [f for f, v in zip(fps, viewers, strict=True) if v.decoding]
        pps = packets / seconds / counting if counting else 0.0
        print(json.dumps({"fps": fps, "decoded_fps": decoded, "connected": connected, "pps": pps}), flush=True)
        for task in tasks:
            task.cancel()
        for viewer in viewers:
            with contextlib.suppress(Exception):
                await viewer.pc.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    publisher = commands.add_parser("publish")
    publisher.add_argument("url")
    publisher.add_argument("token")
    pool = commands.add_parser("watch")
    pool.add_argument("url")
    pool.add_argument("count", type=int)
    pool.add_argument("--seconds", type=float, default=10.0)
    pool.add_argument("--decoding", type=int, default=2)
    args = parser.parse_args()
    restrict_host_addresses(["127.0.0.1"])
    if args.command == "publish":
        asyncio.run(run_publisher(args.url, args.token))
    else:
        asyncio.run(run_viewers(args.url, args.count, args.seconds, args.decoding))


if __name__ == "__main__":
    main()
