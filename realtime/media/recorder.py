"""Recording: the relay writes each stream as it forwards it, never re-encoding, in segments of a few seconds.

A :class:`Recorder` taps the packets a stream hands its viewers (``Fanout.taps``): the floor's VP8 and Opus (a live
publisher's or a played file's alike) into WebM, an interpretation channel's on-air Opus into audio-only WebM. A
segment starts at a keyframe: once one has lasted ``segment_seconds`` the recorder asks the stream's source for a
keyframe (spaced out, once a second at most) and the next keyframe opens the next segment. The folder layout and
``status.json`` are the contract with the app (``server/streams/recording_files.py``): a segment is written as
``….part`` and renamed when closed, so a crash leaves one ``.part`` file that plays up to its last cluster (clusters
of one second, flushed as they close).

Muxing and writing happen in one writer thread per recorder, so a slow or full disk never stalls the event loop
and its viewers. A write error (ENOSPC: ``disk_full``; anything else: ``failed``) stops the recording with a
message in ``status.json``; the stream goes on, and the next publisher tries again.

Whether a session is recorded is ``SessionArchive.record`` in the app's database (:class:`StoredRecordSwitch`, read
with a short cache as publish tokens are), so turning it off reaches every relay process within seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import fractions
import json
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import av
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import select

from realtime.media.encoder import AUDIO_TIME_BASE, VIDEO_TIME_BASE
from server.archive.models import SessionArchive
from server.db import Database
from server.streams.channels import parse_stream_key
from server.streams.recording_files import (
    STATUS_FILE,
    RecorderState,
    complete_name,
    recording_dir,
    segment_name,
    segments,
    write_status,
)

logger = logging.getLogger(__name__)

SEGMENT_SECONDS = 6.0
KEYFRAME_ASK_EVERY = 1.0  # seconds between the recorder's keyframe requests while a segment is due to end
AUDIO_ALONE_AFTER = 2.0  # seconds of audio without any video before a floor recording starts without video
SWITCH_CHECK_EVERY = 1.0  # seconds between looks at the record switch while packets flow
SWITCH_CACHE_SECONDS = 2.0  # how long a relay trusts the SessionArchive.record it read
MAX_BACKLOG = 2000  # packets waiting for the writer thread; beyond, the disk is too slow and the recording stops
CLUSTER_MS = "1000"  # WebM clusters of one second: a crash loses at most the cluster being written
# Fragmented MP4, a fragment a second: a crash leaves a playable file. The moov waits for the first packet, whose
# SPS and PPS it needs (the publisher sends them in band).
MP4_FLAGS = "empty_moov+delay_moov+default_base_moof"
MP4_FRAGMENT_US = "1000000"
INTERLEAVE_US = "1000000"


class RecordSwitch(Protocol):
    async def enabled(self, session_id: int) -> bool: ...


class RecordEverything:
    """Without the app's database (tests, a stand-alone relay) every session keeps the default: recorded."""

    async def enabled(self, session_id: int) -> bool:
        return True


@dataclass
class StoredRecordSwitch:
    """``SessionArchive.record`` as the app's database holds it, cached briefly; a missing row means recorded.

    A database that cannot be read leaves the last known answer (recorded, if none): a recording too many can be
    deleted, a recording missed cannot be made afterwards."""

    database: Database
    cache_seconds: float = SWITCH_CACHE_SECONDS
    _cached: dict[int, tuple[bool, float]] = field(default_factory=dict)

    async def enabled(self, session_id: int) -> bool:
        now = time.monotonic()
        cached = self._cached.get(session_id)
        if cached is not None and now - cached[1] < self.cache_seconds:
            return cached[0]
        try:
            async with self.database.session() as db:
                record = (
                    await db.exec(select(SessionArchive.record).where(SessionArchive.session_id == session_id))
                ).first()
        except (SQLAlchemyError, OSError) as exc:
            logger.error("cannot read whether session %s is recorded: %s", session_id, exc)
            return cached[0] if cached is not None else True
        enabled = True if record is None else bool(record)
        if len(self._cached) > 10_000:
            self._cached.clear()
        self._cached[session_id] = (enabled, now)
        return enabled


def h264_keyframe(data: bytes) -> bool:
    """Whether an Annex B access unit (aiortc's depayloaded H.264) holds an IDR slice."""
    start = 0
    while True:
        found = data.find(b"\x00\x00\x01", start)
        if found < 0 or found + 3 >= len(data):
            return False
        if data[found + 3] & 0x1F == 5:
            return True
        start = found + 3


def wall_ms() -> int:
    return int(time.time() * 1000)


def write_status_anyway(folder: Path, state: RecorderState, *, message: str = "") -> None:
    """``write_status``, or, on a full disk where a new file cannot be made, the old status.json overwritten in
    place (a small file keeps its block), padded with spaces; a JSON reader ignores them."""
    at_ms = wall_ms()
    try:
        write_status(folder, state, message=message, at_ms=at_ms)
        return
    except OSError:
        pass
    text = json.dumps({"state": state.value, "message": message, "at_ms": at_ms}).encode()
    with contextlib.suppress(OSError), (folder / STATUS_FILE).open("r+b") as file:
        old = len(file.read())
        file.seek(0)
        file.write(text.ljust(old))
        file.truncate(max(old, len(text)))


@dataclass
class _Open:
    start_ms: int
    video: str | None  # "vp8" or "h264" when the segment has video
    width: int
    height: int
    audio: bool = True  # whether the segment has an Opus stream (a stream without sound gets none: the muxer would
    # hold the video back waiting for it)


@dataclass
class _Segment:
    container: Any
    path: Path
    video: Any
    audio: Any
    last: dict[str, int] = field(default_factory=dict)


class _Writer:
    """The recorder's thread: opens, fills, closes and renames segments, and keeps ``status.json``."""

    def __init__(self, folder: Path, name: str) -> None:
        self.folder = folder
        self.commands: queue.SimpleQueue[tuple[str, Any] | None] = queue.SimpleQueue()
        self.failure: tuple[RecorderState, str] | None = None
        self.bytes = 0
        self.segments = 0
        self.pending = 0
        self._status: RecorderState | None = None  # the last one written
        self._number: int | None = None
        self._segment: _Segment | None = None
        self._thread = threading.Thread(target=self._run, name=f"relay-record-{name}", daemon=True)
        self._thread.start()

    def put(self, command: str, argument: Any = None) -> None:
        self.pending += 1
        self.commands.put((command, argument))

    def finish(self) -> None:
        self.commands.put(None)

    def join(self, timeout: float) -> None:
        self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            item = self.commands.get()
            if item is None:
                break
            command, argument = item
            self.pending -= 1
            try:
                self._do(command, argument)
            except Exception as exc:  # a write error stops this recording, never the stream
                self._fail(exc)
        with contextlib.suppress(Exception):
            self._close(rename=True)

    def _do(self, command: str, argument: Any) -> None:
        if command == "status":
            state, message = argument
            if self.failure is None:
                self._close(rename=True)
                self._write_status(state, message)
            return
        if self.failure is not None:
            return
        if command == "open":
            self._close(rename=True)
            self._open(argument)
        elif command in ("video", "audio"):
            self._mux(command, *argument)

    def _next_number(self) -> int:
        if self._number is None:
            found = segments(self.folder)
            self._number = max((segment.number for segment in found), default=0)
        self._number += 1
        return self._number

    def _open(self, spec: _Open) -> None:
        if not self.folder.is_dir():  # the first segment, or the recording was deleted: say so again
            self._status = None
        self.folder.mkdir(parents=True, exist_ok=True)
        ext = "mp4" if spec.video == "h264" else "webm"
        path = self.folder / segment_name(spec.start_ms, self._next_number(), ext)
        if ext == "mp4":
            options = {"movflags": MP4_FLAGS, "frag_duration": MP4_FRAGMENT_US}
        else:
            options = {"cluster_time_limit": CLUSTER_MS}
        # Written out as it comes: a packet waits at most a second for the other stream's (interleaving).
        options |= {"flush_packets": "1", "max_interleave_delta": INTERLEAVE_US}
        container = av.open(str(path), "w", format=ext, options=options)
        try:
            video = None
            if spec.video is not None:
                video = container.add_mux_stream(spec.video, width=spec.width, height=spec.height)
            audio = None
            if spec.audio:
                audio = container.add_stream("libopus", rate=48_000, layout="stereo")  # opened only for its OpusHead
        except Exception:
            container.close()
            raise
        self._segment = _Segment(container, path, video, audio)
        self.segments += 1
        if self._status != RecorderState.recording:
            self._write_status(RecorderState.recording, "")

    def _write_status(self, state: RecorderState, message: str) -> None:
        self._status = state
        write_status_anyway(self.folder, state, message=message)

    def _mux(self, kind: str, data: bytes, pts: int, keyframe: bool) -> None:
        segment = self._segment
        if segment is None:
            return
        stream = segment.video if kind == "video" else segment.audio
        if stream is None:
            return
        pts = max(pts, segment.last.get(kind, -1) + 1, 0)  # rising within the segment, whatever the clocks did
        segment.last[kind] = pts
        packet = av.Packet(data)
        packet.pts = packet.dts = pts
        packet.time_base = VIDEO_TIME_BASE if kind == "video" else AUDIO_TIME_BASE
        packet.is_keyframe = keyframe
        packet.stream = stream
        segment.container.mux(packet)
        self.bytes += len(data)

    def _close(self, *, rename: bool) -> None:
        segment, self._segment = self._segment, None
        if segment is None:
            return
        segment.container.close()
        if rename:
            # Gone (an organiser deleted the recording while it was made): nothing to rename; the next segment
            # makes the folder again.
            with contextlib.suppress(FileNotFoundError):
                segment.path.replace(segment.path.with_name(complete_name(segment.path.name)))

    def _fail(self, exc: Exception) -> None:
        code = getattr(exc, "errno", None)
        full = code == errno.ENOSPC or "No space left" in str(exc)
        state = RecorderState.disk_full if full else RecorderState.failed
        message = (
            "the disk is full: the recording stopped, the stream goes on"
            if full
            else f"writing the recording failed: {exc}"
        )
        logger.error("recording into %s stopped: %s", self.folder, exc)
        self.failure = (state, message)
        segment, self._segment = self._segment, None
        if segment is not None:
            with contextlib.suppress(Exception):
                segment.container.close()  # what was written stays, as a .part file
        self._write_status(state, message)


class Recorder:
    """One stream key's recording. Fed on the event loop (:meth:`video`, :meth:`audio`); never raises into it."""

    def __init__(
        self,
        key: str,
        media_dir: Path,
        *,
        switch: RecordSwitch,
        request_keyframe: Callable[[], None] | None,
        segment_seconds: float = SEGMENT_SECONDS,
    ) -> None:
        self.key = key
        self.folder = recording_dir(media_dir, key)
        parsed = parse_stream_key(key)
        self.session_id = parsed[0] if parsed is not None else None
        self.segment_seconds = segment_seconds
        self._switch = switch
        self._request_keyframe = request_keyframe
        self._enabled: bool | None = None
        self._checked_at = float("-inf")
        self._checking: asyncio.Task[None] | None = None
        self._writer: _Writer | None = None
        self._open: _Open | None = None  # the segment being written, as the loop sees it
        self._opened_at = 0.0
        self._base: fractions.Fraction = fractions.Fraction(0)  # the segment's start in stream time (seconds)
        self._asked_at = float("-inf")
        self._video_seen_at = float("-inf")
        self._audio_waiting_since: float | None = None
        self._stopped_reported = True
        self.video_codec: str | None = "vp8"  # what the next video packets are: vp8, h264, or None (ignored)
        self.has_audio = True  # whether the source sends sound (a publisher's offer, a played file)

    # What the console shows.

    @property
    def state(self) -> RecorderState | None:
        writer = self._writer
        if writer is not None and writer.failure is not None:
            return writer.failure[0]
        if self._enabled is False:
            return RecorderState.off
        if self._open is not None:
            return RecorderState.recording
        return RecorderState.stopped if writer is not None else None

    @property
    def message(self) -> str:
        writer = self._writer
        return writer.failure[1] if writer is not None and writer.failure is not None else ""

    @property
    def bytes(self) -> int:
        return self._writer.bytes if self._writer is not None else 0

    @property
    def segments(self) -> int:
        return self._writer.segments if self._writer is not None else 0

    # The switch.

    def _check_switch(self) -> None:
        now = time.monotonic()
        if self.session_id is None:
            self._enabled = True
            return
        if now - self._checked_at < SWITCH_CHECK_EVERY or (self._checking is not None and not self._checking.done()):
            return
        self._checked_at = now
        self._checking = asyncio.get_running_loop().create_task(self._read_switch(self.session_id))

    async def _read_switch(self, session_id: int) -> None:
        try:
            enabled = await self._switch.enabled(session_id)
        except Exception:
            logger.exception("session %s: reading the record switch failed", session_id)
            return
        if enabled == self._enabled:
            return
        self._enabled = enabled
        if not enabled:
            self._end_segment()
            self._writer_for().put("status", (RecorderState.off, ""))
            logger.info("stream %s: recording is off", self.key)
        elif self._request_keyframe is not None:
            self._request_keyframe()  # recording again: start at the next keyframe, soon

    def _writer_for(self) -> _Writer:
        if self._writer is None:
            self._writer = _Writer(self.folder, self.key)
        return self._writer

    def _accepting(self) -> bool:
        self._check_switch()
        if not self._enabled:
            return False
        writer = self._writer
        if writer is None:
            return True
        if writer.failure is not None:
            return False
        if writer.pending > MAX_BACKLOG:
            writer.failure = (RecorderState.failed, "the disk is too slow: the recording stopped, the stream goes on")
            writer.put("status", (RecorderState.failed, writer.failure[1]))  # written once the backlog drains
            return False
        return True

    # Packets.

    def video(self, packet: av.Packet, *, width: int = 0, height: int = 0, codec: str = "vp8") -> None:
        """A video packet as viewers get it (or, with ``codec="h264"``, a publisher's own H.264 frame)."""
        try:
            if codec != self.video_codec or packet.pts is None or not self._accepting():
                return
            if not width:  # the size is not known yet (an H.264 publisher's first frame is not decoded yet)
                self._ask_keyframe(time.monotonic())
                return
            now = time.monotonic()
            self._video_seen_at = now
            at = packet.pts * VIDEO_TIME_BASE
            keyframe = bool(packet.is_keyframe)
            current = self._open
            if keyframe and (
                current is None
                or current.video != codec
                or current.audio != self.has_audio
                or (width and (width, height) != (current.width, current.height))
                or now - self._opened_at >= self.segment_seconds
            ):
                self._start_segment(at, video=codec, width=width, height=height, now=now)
            elif current is None or current.video is None or now - self._opened_at >= self.segment_seconds:
                self._ask_keyframe(now)  # a segment (one with video) starts at the next keyframe
                if current is None or current.video is None:
                    return
            pts = int((at - self._base) / VIDEO_TIME_BASE)
            self._writer_for().put("video", (bytes(packet), pts, keyframe))
        except Exception:
            logger.exception("stream %s: recording a video packet failed", self.key)

    def audio(self, packet: av.Packet) -> None:
        """An Opus packet as listeners get it."""
        try:
            if packet.pts is None or not self._accepting():
                return
            now = time.monotonic()
            at = packet.pts * AUDIO_TIME_BASE
            current = self._open
            if current is not None and not current.audio:
                if self._request_keyframe is not None and self.video_codec is not None:
                    self._ask_keyframe(now)  # sound after a silent source: a new segment, with sound, soon
                return
            if current is None:
                video_lately = now - self._video_seen_at < AUDIO_ALONE_AFTER
                if self._request_keyframe is not None:  # the floor: wait for video, unless there is none
                    if self._audio_waiting_since is None:
                        self._audio_waiting_since = now
                    if video_lately or now - self._audio_waiting_since < AUDIO_ALONE_AFTER:
                        if self.video_codec is not None:
                            self._ask_keyframe(now)
                        return
                self._start_segment(at, video=None, width=0, height=0, now=now)
            elif current.video is None and now - self._opened_at >= self.segment_seconds:
                self._start_segment(at, video=None, width=0, height=0, now=now)
            pts = int((at - self._base) / AUDIO_TIME_BASE)
            if pts < 0:
                return  # sound from before the segment's first picture: it belonged to the segment before
            self._writer_for().put("audio", (bytes(packet), pts, True))
        except Exception:
            logger.exception("stream %s: recording an audio packet failed", self.key)

    def _ask_keyframe(self, now: float) -> None:
        if self._request_keyframe is None or now - self._asked_at < KEYFRAME_ASK_EVERY:
            return
        self._asked_at = now
        self._request_keyframe()

    def _start_segment(self, at: fractions.Fraction, *, video: str | None, width: int, height: int, now: float) -> None:
        self._open = _Open(start_ms=wall_ms(), video=video, width=width, height=height, audio=self.has_audio)
        self._opened_at = now
        self._base = at
        self._asked_at = float("-inf")
        self._audio_waiting_since = None
        self._stopped_reported = False
        self._writer_for().put("open", self._open)

    def _end_segment(self) -> None:
        self._open = None
        self._audio_waiting_since = None

    def stop(self) -> None:
        """The source left (the publisher dropped, the playback ended): close the segment; the next source goes on
        in the same folder, in new segments, and a failed recording tries again."""
        writer = self._writer
        self._end_segment()
        if writer is None or self._stopped_reported:
            return
        self._stopped_reported = True
        if writer.failure is not None:
            writer.finish()  # a new writer for the next source: after a disk error, it tries again
            self._writer = None
        elif self._enabled:
            writer.put("status", (RecorderState.stopped, ""))

    async def close(self) -> None:
        """The stream is gone: close the segment and let the writer finish (waiting a few seconds at most)."""
        self.stop()
        if self._checking is not None:
            self._checking.cancel()
        writer, self._writer = self._writer, None
        if writer is not None:
            writer.finish()
            await asyncio.to_thread(writer.join, 10.0)


def recorder_for(
    key: str,
    *,
    media_dir: Path,
    switch: RecordSwitch | None,
    request_keyframe: Callable[[], None] | None,
) -> Recorder | None:
    """A stream's recorder, or None when this relay records nothing (``switch`` None)."""
    if switch is None:
        return None
    return Recorder(key, media_dir, switch=switch, request_keyframe=request_keyframe)
