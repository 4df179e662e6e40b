"""Fan-out: each frame is packetised once (realtime/media/packetiser.py) and each viewer's track hands the same
``PackedFrame`` to that viewer's sender (realtime/media/sender.py), which adds only its own RTP header and SRTP.

Each track keeps a short queue; a viewer that falls behind drops it and waits for the next keyframe instead of
growing it.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable

import av
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from realtime.media.packetiser import PackedFrame, pack


class PacketTrack(MediaStreamTrack):
    """One viewer's audio or video track; its sender reads packed frames with ``next_frame``."""

    def __init__(self, fanout: Fanout, kind: str, *, max_queue: int) -> None:
        super().__init__()
        self.kind = kind
        self._fanout = fanout
        self._queue: deque[PackedFrame] = deque()
        self._max_queue = max_queue
        self._waiter: asyncio.Future[None] | None = None
        self.waiting_for_keyframe = kind == "video"
        self.started = False
        self.skips = 0
        self.keyframe_requests = 0
        # The viewer's sender, while it runs: sends a frame at once, or says (False) it must wait in the queue.
        self.sink: Callable[[PackedFrame], bool] | None = None

    def push(self, frame: PackedFrame, *, keyframe: bool) -> bool:
        """Queue a frame; return False when this viewer needs a keyframe before it can go on."""
        if not self.started or self.readyState != "live":
            return True
        if self.kind == "video":
            if self.waiting_for_keyframe and not keyframe:
                return False
            if len(self._queue) >= self._max_queue:
                self._queue.clear()
                self.skips += 1
                if not keyframe:
                    self.waiting_for_keyframe = True
                    return False
            self.waiting_for_keyframe = False
        elif len(self._queue) >= self._max_queue:
            self._queue.popleft()
        waiter = self._waiter
        idle = not self._queue and waiter is not None and not waiter.done()
        if idle and self.sink is not None and self.sink(frame):  # sent now, without waking the sender's task
            return True
        self._queue.append(frame)
        if waiter is not None and not waiter.done():
            waiter.set_result(None)
        return True

    async def recv(self) -> av.Packet:
        """Not read: the viewer's sender takes packed frames (``next_frame``), never frames to encode."""
        raise MediaStreamError("a packed track is read with next_frame")

    async def next_frame(self) -> PackedFrame:
        if not self.started:
            # The sender asks for media once the viewer's connection is up: that is when a keyframe helps.
            self.started = True
            if self.kind == "video":
                self._fanout.request_keyframe()
        while not self._queue:
            if self.readyState != "live":
                raise MediaStreamError
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        return self._queue.popleft()

    def request_keyframe(self) -> None:
        """This viewer lost a picture (PLI/FIR): pass the request on; the stream's pipeline spaces them out."""
        self.keyframe_requests += 1
        self._fanout.request_keyframe()

    def stop(self) -> None:
        super().stop()
        self._fanout.discard(self)
        self._queue.clear()
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)


class Fanout:
    """One kind of media of one stream: the viewers' tracks and what was sent to them."""

    def __init__(self, kind: str, *, max_queue: int, request_keyframe: Callable[[bool], None] | None = None) -> None:
        self.kind = kind
        self.tracks: set[PacketTrack] = set()
        self._max_queue = max_queue
        self._request_keyframe = request_keyframe
        self._window: deque[tuple[float, int]] = deque()
        self.taps: list[Callable[[av.Packet], None]] = []  # a recorder: every packet the viewers get, in order
        self.packets = 0
        self.last_packet_at: float | None = None

    def subscribe(self) -> PacketTrack:
        track = PacketTrack(self, self.kind, max_queue=self._max_queue)
        self.tracks.add(track)
        return track

    def discard(self, track: PacketTrack) -> None:
        self.tracks.discard(track)

    def wait_for_keyframe(self) -> None:
        """The source changed (a playback began or ended): every viewer skips to its next keyframe."""
        if self.kind == "video":
            for track in self.tracks:
                track.waiting_for_keyframe = True

    def request_keyframe(self, urgent: bool = True) -> None:
        """Urgent for a joining viewer or a lost picture; not for a viewer that skipped because the relay is busy."""
        if self._request_keyframe is not None:
            self._request_keyframe(urgent)

    def publish(self, packet: av.Packet) -> None:
        keyframe = bool(packet.is_keyframe)
        needs_keyframe = False
        frame: PackedFrame | None = None
        for track in tuple(self.tracks):
            if not track.started:
                continue
            if frame is None:
                frame = pack(self.kind, packet)  # once for every viewer
            if not track.push(frame, keyframe=keyframe):
                needs_keyframe = True
        if needs_keyframe:
            self.request_keyframe(urgent=False)
        for tap in self.taps:
            tap(packet)
        now = time.monotonic()
        self.packets += 1
        self.last_packet_at = now
        self._window.append((now, packet.size))
        while self._window and now - self._window[0][0] > 2.0:
            self._window.popleft()

    def bitrate(self) -> int:
        """Bits per second sent to each viewer over the last two seconds."""
        if not self._window or time.monotonic() - self._window[-1][0] > 2.0:
            return 0
        return int(sum(size for _, size in self._window) * 8 / 2.0)
