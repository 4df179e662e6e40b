"""Ingest: the publisher's decoded frames go through the stream's one encoder into its fan-out.

A pipeline outlives publishers: when one drops and another comes, viewers keep their tracks, timestamps keep
rising, and the first new frame is a keyframe.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from concurrent.futures import Executor

import av
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from realtime.media.config import RelaySettings
from realtime.media.encoder import AUDIO_RATE, VIDEO_RATE, AudioEncoder, Timeline, VideoEncoder
from realtime.media.fanout import Fanout

logger = logging.getLogger(__name__)


async def _cancel(task: asyncio.Task[None] | None) -> None:
    if task is not None and not task.done():
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


FRAME_BACKLOG = 4  # decoded frames waiting for the encoder: absorbs bursts, drops the oldest beyond


class VideoPipeline:
    """Queues a few decoded frames for the encoder; one that falls further behind drops the oldest."""

    def __init__(self, settings: RelaySettings, executor: Executor) -> None:
        self.encoder = VideoEncoder(
            bitrate=settings.video_bitrate,
            keyframe_interval=settings.keyframe_interval,
            keyframe_min_interval=settings.keyframe_min_interval,
        )
        self.fanout = Fanout(
            "video", max_queue=settings.viewer_queue_frames, request_keyframe=self.encoder.request_keyframe
        )
        self.timeline = Timeline(VIDEO_RATE)
        self._executor = executor
        self._frames: deque[av.VideoFrame] = deque()
        self._ready = asyncio.Event()
        self._reader: asyncio.Task[None] | None = None
        self._encoding: asyncio.Task[None] | None = None
        self.frames_in = 0
        self.frames_dropped = 0
        self.last_frame_at: float | None = None

    def attach(self, track: MediaStreamTrack) -> None:
        """Take frames from a new publisher's track from now on."""
        if self._reader is not None:
            self._reader.cancel()
        self._frames.clear()
        self.timeline.new_source()
        self.encoder.request_keyframe()
        self._reader = asyncio.create_task(self._read(track))
        if self._encoding is None:
            self._encoding = asyncio.create_task(self._encode())

    async def detach(self) -> None:
        await _cancel(self._reader)
        self._reader = None

    async def _read(self, track: MediaStreamTrack) -> None:
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            if not isinstance(frame, av.VideoFrame):
                continue
            if len(self._frames) >= FRAME_BACKLOG:
                self._frames.popleft()
                self.frames_dropped += 1
            self._frames.append(frame)
            self.frames_in += 1
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
            pts = self.timeline.stamp(frame.pts, frame.time_base)
            try:
                packets = await loop.run_in_executor(self._executor, self.encoder.encode, frame, pts)
            except Exception:
                logger.exception("encoding a video frame failed")
                continue
            for packet in packets:
                self.fanout.publish(packet)

    async def close(self) -> None:
        await self.detach()
        await _cancel(self._encoding)
        self._encoding = None


class AudioPipeline:
    """Opus is cheap: frames are encoded on the event loop as they come."""

    def __init__(self, settings: RelaySettings) -> None:
        self.timeline = Timeline(AUDIO_RATE)
        self.encoder = AudioEncoder(self.timeline)
        self.fanout = Fanout("audio", max_queue=max(25, settings.viewer_queue_frames))
        self._reader: asyncio.Task[None] | None = None
        self.last_frame_at: float | None = None

    def attach(self, track: MediaStreamTrack) -> None:
        if self._reader is not None:
            self._reader.cancel()
        self.encoder.new_source()
        self._reader = asyncio.create_task(self._read(track))

    async def detach(self) -> None:
        await _cancel(self._reader)
        self._reader = None

    async def _read(self, track: MediaStreamTrack) -> None:
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            if not isinstance(frame, av.AudioFrame):
                continue
            self.last_frame_at = time.monotonic()
            for packet in self.encoder.encode(frame):
                self.fanout.publish(packet)

    async def close(self) -> None:
        await self.detach()
