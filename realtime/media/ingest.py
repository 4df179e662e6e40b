"""Ingest: a publisher's video reaches the fan-out as VP8 packets, forwarded as they are whenever possible.

- A VP8 publisher's frames are forwarded without decoding: keyframe requests go to the publisher as RTCP PLI.
- Any other codec (an encoder sending H.264) is decoded and encoded once with PyAV, in the stream's encoder thread.

A pipeline outlives publishers: when one drops and another comes, viewers keep their tracks, timestamps keep
rising, and the next frame they get is a keyframe.

A playback (a pre-recorded file, realtime/media/playback.py) holds the publisher back while it plays: the publisher's
media is read and dropped, and flows again, from a keyframe, when the playback ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Executor

import av
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from realtime.media.config import RelaySettings
from realtime.media.encoder import (
    AUDIO_RATE,
    AUDIO_TIME_BASE,
    VIDEO_RATE,
    VIDEO_TIME_BASE,
    AudioEncoder,
    Timeline,
    VideoEncoder,
)
from realtime.media.fanout import Fanout

logger = logging.getLogger(__name__)

FRAME_BACKLOG = 4  # decoded frames waiting for the encoder: absorbs bursts, drops the oldest beyond
VP8_START_CODE = b"\x9d\x01\x2a"


async def _cancel(task: asyncio.Task[None] | None) -> None:
    if task is not None and not task.done():
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def vp8_keyframe_size(data: bytes) -> tuple[int, int] | None:
    """Width and height if ``data`` is a VP8 keyframe (RFC 6386 section 9.1), else None."""
    if len(data) < 10 or data[0] & 0x01 or data[3:6] != VP8_START_CODE:
        return None
    return int.from_bytes(data[6:8], "little") & 0x3FFF, int.from_bytes(data[8:10], "little") & 0x3FFF


class VideoPipeline:
    def __init__(self, settings: RelaySettings, executor: Executor) -> None:
        self.encoder = VideoEncoder(
            bitrate=settings.video_bitrate,
            keyframe_interval=settings.keyframe_interval,
            keyframe_min_interval=settings.keyframe_min_interval,
        )
        self.fanout = Fanout("video", max_queue=settings.viewer_queue_frames, request_keyframe=self.request_keyframe)
        self.timeline = Timeline(VIDEO_RATE)
        self.keyframe_min_interval = settings.keyframe_min_interval
        self.keyframe_recovery_interval = settings.keyframe_recovery_interval
        self._executor = executor
        self._frames: deque[av.VideoFrame] = deque()
        self._ready = asyncio.Event()
        self._reader: asyncio.Task[None] | None = None
        self._encoding: asyncio.Task[None] | None = None
        self._source = 0  # which publisher's frames count; earlier ones are ignored
        self._epoch = 0  # bumps whenever what viewers get changes: frames encoded for what went before are dropped
        self._publisher_mode: str | None = None
        self._playback: asyncio.Task[None] | None = None
        self._ask_publisher: Callable[[], None] | None = None
        self._last_keyframe = float("-inf")  # when one was last asked for or sent
        self._ask_later: asyncio.TimerHandle | None = None
        self._ask_at = float("inf")
        self.frames_in = 0
        self.frames_dropped = 0
        self.keyframes = 0
        self.width = 0
        self.height = 0
        self.last_frame_at: float | None = None

    @property
    def mode(self) -> str | None:
        """ "forward" or "transcode" while a publisher sends video, "playback" while a file plays."""
        return "playback" if self.playing else self._publisher_mode

    @property
    def playing(self) -> bool:
        return self._playback is not None

    def _switch(self) -> None:
        """What viewers get changes: drop what is queued, go on from a keyframe with rising timestamps."""
        self._frames.clear()
        self._epoch += 1
        self.timeline.new_source()
        self.fanout.wait_for_keyframe()

    def _new_source(self, mode: str | None) -> int:
        if self._reader is not None:
            self._reader.cancel()
            self._reader = None
        self._ask_publisher = None
        self._source += 1
        self._publisher_mode = mode
        if not self.playing:
            self._switch()
        return self._source

    # Forwarding: a VP8 publisher's frames, as they arrive.

    def forward(self, ask_publisher: Callable[[], None]) -> Callable[[str, bytes, int], None]:
        """Start forwarding a new publisher's VP8 frames; returns what to call with each frame."""
        source = self._new_source("forward")
        self._ask_publisher = ask_publisher

        def on_frame(codec: str, data: bytes, timestamp: int) -> None:
            if source != self._source or codec != "VP8" or not data:
                return
            if self.playing:
                self.last_frame_at = time.monotonic()  # held back, but alive
            else:
                self._forward_frame(data, timestamp)

        return on_frame

    def _forward_frame(self, data: bytes, timestamp: int) -> None:
        packet = av.Packet(data)
        packet.pts = self.timeline.stamp(timestamp, VIDEO_TIME_BASE)
        packet.time_base = VIDEO_TIME_BASE
        size = vp8_keyframe_size(data)
        if size is not None:
            packet.is_keyframe = True
            self.width, self.height = size
        self.frames_in += 1
        self.last_frame_at = time.monotonic()
        self._publish(packet)

    # Transcoding: decoded frames from any other codec, encoded once.

    def transcode(self, track: MediaStreamTrack) -> None:
        """Start taking decoded frames from a new publisher's track."""
        self._new_source("transcode")
        if not self.playing:
            self.encoder.request_keyframe()
        self._reader = asyncio.create_task(self._read(track))
        self._start_encoding()

    def _start_encoding(self) -> None:
        if self._encoding is None:
            self._encoding = asyncio.create_task(self._encode())

    async def _read(self, track: MediaStreamTrack, *, playback: bool = False) -> None:
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            if not isinstance(frame, av.VideoFrame):
                continue
            if self.playing and not playback:
                self.last_frame_at = time.monotonic()  # a held publisher: read and dropped, so nothing piles up
                continue
            self._queue_frame(frame, publisher=not playback)

    def _queue_frame(self, frame: av.VideoFrame, *, publisher: bool) -> None:
        if len(self._frames) >= FRAME_BACKLOG:
            self._frames.popleft()
            self.frames_dropped += 1
        self._frames.append(frame)
        self.frames_in += 1
        if publisher:
            self.last_frame_at = time.monotonic()
        self._ready.set()

    async def _encode(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            if not self._frames:
                self._ready.clear()
                await self._ready.wait()
                continue
            frame = self._frames.popleft()
            epoch = self._epoch
            pts = self.timeline.stamp(frame.pts, frame.time_base)
            try:
                packets = await loop.run_in_executor(self._executor, self.encoder.encode, frame, pts)
            except Exception:
                logger.exception("encoding a video frame failed")
                continue
            if epoch != self._epoch:
                continue
            self.width, self.height = self.encoder.width, self.encoder.height
            for packet in packets:
                self._publish(packet)

    def _publish(self, packet: av.Packet) -> None:
        if packet.is_keyframe:
            self.keyframes += 1
            self._last_keyframe = time.monotonic()
        self.fanout.publish(packet)

    def request_keyframe(self, urgent: bool = True) -> None:
        """A viewer needs a keyframe: coalesce requests and ask the publisher (PLI) or the encoder.

        Urgent requests (a joining viewer, a lost picture) wait at most ``keyframe_min_interval`` since the last
        keyframe; a viewer that skipped because the relay is busy waits ``keyframe_recovery_interval``, so an
        overload does not feed itself with keyframes.
        """
        now = time.monotonic()
        interval = self.keyframe_min_interval if urgent else self.keyframe_recovery_interval
        at = max(now, self._last_keyframe + interval)
        if at >= self._ask_at:
            return  # one is already due as soon
        if self._ask_later is not None:
            self._ask_later.cancel()
            self._ask_later = None
        if at <= now:
            self._ask_now()
        else:
            self._ask_at = at
            self._ask_later = asyncio.get_running_loop().call_later(at - now, self._ask_now)

    def _ask_now(self) -> None:
        self._ask_later = None
        self._ask_at = float("inf")
        self._last_keyframe = time.monotonic()
        if self._ask_publisher is not None and not self.playing:
            self._ask_publisher()
        else:
            self.encoder.request_keyframe()

    # Playback: a file's frames, encoded once, while the publisher is held back.

    def play(self, track: MediaStreamTrack) -> None:
        """Viewers get ``track``'s frames (a file's) instead of the publisher's until :meth:`end_playback`."""
        self.end_playback(resume=False)
        self._playback = asyncio.create_task(self._read(track, playback=True))
        self._switch()
        self._last_keyframe = float("-inf")
        self.encoder.request_keyframe()
        self._start_encoding()

    def end_playback(self, *, resume: bool = True) -> None:
        """The playback ended or was stopped: the publisher's media flows again, from a keyframe (PLI)."""
        if self._playback is None:
            return
        self._playback.cancel()
        self._playback = None
        if resume:
            self._switch()
            self._last_keyframe = float("-inf")
            self.request_keyframe()

    async def detach(self) -> None:
        """The publisher left: ignore anything still arriving from it."""
        self._new_source(None)

    async def close(self) -> None:
        self.end_playback(resume=False)
        await self.detach()
        if self._ask_later is not None:
            self._ask_later.cancel()
            self._ask_later = None
        await _cancel(self._encoding)
        self._encoding = None


class AudioPipeline:
    """Opus is cheap: frames are encoded on the event loop as they come."""

    def __init__(self, settings: RelaySettings) -> None:
        self.timeline = Timeline(AUDIO_RATE)
        self.encoder = AudioEncoder(self.timeline)
        self.fanout = Fanout("audio", max_queue=max(25, settings.viewer_queue_frames))
        self._reader: asyncio.Task[None] | None = None
        self._playback: asyncio.Task[None] | None = None
        self._forwarding = 0  # which forwarded source's packets count (an edge relay's pull); 0: none
        self._forwarded = 0
        self.last_frame_at: float | None = None

    def attach(self, track: MediaStreamTrack) -> None:
        if self._reader is not None:
            self._reader.cancel()
        if self._playback is None:
            self.encoder.new_source()
        self._reader = asyncio.create_task(self._read(track))

    def forward(self) -> Callable[[str, bytes, int], None]:
        """Forward a new source's Opus packets as they are, on the stream's timeline (an edge relay pulling the
        stream from its origin: realtime/media/edge.py); returns what to call with each packet."""
        self._forwarded += 1
        source = self._forwarding = self._forwarded
        self.timeline.new_source()

        def on_frame(codec: str, data: bytes, timestamp: int) -> None:
            if source != self._forwarding or codec.lower() != "opus" or not data:
                return
            self.last_frame_at = time.monotonic()
            packet = av.Packet(data)
            packet.pts = self.timeline.stamp(timestamp, AUDIO_TIME_BASE)
            packet.time_base = AUDIO_TIME_BASE
            self.fanout.publish(packet)

        return on_frame

    async def detach(self) -> None:
        self._forwarding = 0
        await _cancel(self._reader)
        self._reader = None

    def play(self, track: MediaStreamTrack) -> None:
        """A file's sound instead of the publisher's, until :meth:`end_playback`."""
        self.end_playback()
        self.encoder.new_source()
        self._playback = asyncio.create_task(self._read(track, playback=True))

    def end_playback(self) -> None:
        if self._playback is not None:
            self._playback.cancel()
            self._playback = None
            self.encoder.new_source()

    async def _read(self, track: MediaStreamTrack, *, playback: bool = False) -> None:
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            if not isinstance(frame, av.AudioFrame):
                continue
            if not playback:
                self.last_frame_at = time.monotonic()
                if self._playback is not None:
                    continue  # a held publisher: read and dropped, so nothing piles up
            for packet in self.encoder.encode(frame):
                self.fanout.publish(packet)

    async def close(self) -> None:
        self.end_playback()
        await self.detach()
