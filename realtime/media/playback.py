"""Playing a pre-recorded file to a stream's viewers: decoded in its own thread, paced in real time.

The decoded frames come out of two tracks, which the stream's pipelines read as they would a publisher's: video is
encoded once through the transcode path, audio through the Opus encoder. A broken file ends the playback with a
log line; nothing here raises into the relay once the playback has started.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import av
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

logger = logging.getLogger(__name__)

STORED_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")  # a media folder's own names, never a path
LEAD = 0.05  # hand frames over this much before they are due, so encoding them does not make them late
QUEUE_FRAMES = 120  # at most this many decoded frames wait for the pipelines: pacing keeps it far lower


class PlaybackError(Exception):
    """The file cannot be played: missing, not a video, unreadable."""


@dataclass(frozen=True)
class MediaInfo:
    duration: float | None
    has_audio: bool


def media_file(media_dir: Path, stored_name: str) -> Path:
    """The file ``stored_name`` names in the media folder; a name that is not one of ours is refused."""
    if not STORED_NAME.fullmatch(stored_name) or ".." in stored_name:
        raise PlaybackError("not a media file name")
    path = media_dir / stored_name
    if not path.is_file():
        raise PlaybackError("the recording's file is not in the relay's media folder")
    return path


def probe(path: Path) -> MediaInfo:
    """Opens the file and checks it has a video stream (blocking: call it in a thread)."""
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise PlaybackError("the file has no video stream")
            duration = container.duration / av.time_base if container.duration else None
            return MediaInfo(duration=duration, has_audio=bool(container.streams.audio))
    except av.FFmpegError as exc:
        raise PlaybackError(f"the file cannot be read as a video: {exc}") from None


class FileTrack(MediaStreamTrack):
    """Frames the decoder thread hands over, in order; ends when the file does or the playback stops."""

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind
        self.queue: asyncio.Queue[av.VideoFrame | av.AudioFrame | None] = asyncio.Queue()

    async def recv(self) -> av.VideoFrame | av.AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        frame = await self.queue.get()
        if frame is None:
            self.stop()
            raise MediaStreamError
        return frame


class FilePlayback:
    """One playing of one file. ``finished`` is set when the file ends, fails or is stopped."""

    def __init__(self, path: Path, info: MediaInfo) -> None:
        self.path = path
        self.duration = info.duration
        self.has_audio = info.has_audio
        self.video = FileTrack("video")
        self.audio = FileTrack("audio")
        self.finished = asyncio.Event()
        self.failed = False
        self.position = 0.0  # seconds of the file handed to the viewers so far
        self._loop = asyncio.get_running_loop()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="relay-playback", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _hand_over(self, track: FileTrack, frame: av.VideoFrame | av.AudioFrame | None) -> None:
        if track.readyState == "live" and (frame is None or track.queue.qsize() < QUEUE_FRAMES):
            track.queue.put_nowait(frame)

    def _post(self, track: FileTrack, frame: av.VideoFrame | av.AudioFrame | None) -> None:
        try:
            self._loop.call_soon_threadsafe(self._hand_over, track, frame)
        except RuntimeError:  # the relay's loop has closed (shutdown): nobody is left to watch
            self._stop.set()

    def _run(self) -> None:
        try:
            self._decode()
            logger.info("playback of %s ended after %.1f s", self.path.name, self.position)
        except Exception as exc:  # a broken file ends this playback, never the relay
            self.failed = True
            logger.warning("playback of %s ended after %.1f s: %s", self.path.name, self.position, exc)
        finally:
            for track in (self.video, self.audio):
                self._post(track, None)
            with contextlib.suppress(RuntimeError):
                self._loop.call_soon_threadsafe(self.finished.set)

    def _decode(self) -> None:
        with av.open(str(self.path)) as container:
            video = container.streams.video[0]
            video.thread_count = 1
            streams = [video, *container.streams.audio[:1]]
            started = time.monotonic()
            first: float | None = None
            for packet in container.demux(streams):
                for frame in packet.decode():
                    if (
                        not isinstance(frame, av.VideoFrame | av.AudioFrame)
                        or frame.pts is None
                        or frame.time_base is None
                    ):
                        continue
                    at = float(frame.pts * frame.time_base)
                    first = at if first is None else first
                    due = started + (at - first) - LEAD
                    if self._stop.wait(max(0.0, due - time.monotonic())):
                        return
                    self.position = max(self.position, at - first)
                    track = self.video if isinstance(frame, av.VideoFrame) else self.audio
                    self._post(track, frame)
                if self._stop.is_set():
                    return
