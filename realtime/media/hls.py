"""HLS for crowds and blocked networks: each live session's H.264/AAC rendition written as an HLS playlist with
segments of two seconds, into ``PODIUM_HLS_DIR/<key>-<mac>/`` (server/streams/hls.py names it), for the app or nginx
and any HTTP cache in front of them to serve to players (hls.js on the room page) that cannot use WebRTC.

FFmpeg's own HLS muxer writes it (through PyAV), in one thread per session: MPEG-TS segments cut at the rendition's
keyframes (one every two seconds), each written to a temporary file and renamed when complete, a live playlist of
the last six segments with ``EXT-X-PROGRAM-DATE-TIME`` and ``EXT-X-INDEPENDENT-SEGMENTS``, and segments older than
that removed. Low latency is as close as FFmpeg allows: it writes no LL-HLS parts (``EXT-X-PART``), so players start
two segments from the live edge (about four to six seconds behind WebRTC); short segments keep that small.

Segment names start with a random prefix per run of the writer, so a relay restarted for the same session never
reuses a name a cache holds as immutable; media sequence numbers count from the Unix time, so they keep rising too.

A session gets HLS while its stream has media (a publisher sending, or a recording playing); it stops some seconds
after the media went (a publisher reconnecting keeps it), ending the playlist (``EXT-X-ENDLIST``), and the folder is
removed a little later, once players had time to fetch the last segments.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import shutil
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import av

from realtime.media.config import RelaySettings
from realtime.media.rendition import Renditions, RenditionSubscription, add_streams
from server.streams.hls import PLAYLIST, hls_folder, playlist_url

if TYPE_CHECKING:
    from realtime.media.relay import Stream

logger = logging.getLogger(__name__)

SEGMENT_SECONDS = 2
LIST_SIZE = 6  # segments in the playlist
KEEP_AFTER_LIST = 3  # segments kept on disk after they leave the playlist, for players still fetching them
LIVE_WITHIN = 2.0  # seconds since the stream's last media for it to count as live
LINGER = 8.0  # seconds a session keeps its HLS without media (a publisher reconnecting) before it ends
REMOVE_AFTER = 30.0  # seconds an ended session's folder stays, for players fetching its last segments
RETRY_AFTER = 10.0  # seconds before a session whose HLS failed (a full disk) tries again
CHECK_EVERY = 0.5
WAIT_FOR_VIDEO = 0.5  # seconds the writer thread waits on its subscription at a time


@dataclass
class HlsWriter:
    """One session's HLS: a rendition subscription muxed into a playlist and segments by the writer thread."""

    key: str
    folder: Path
    url: str
    subscription: RenditionSubscription
    segment_seconds: int = SEGMENT_SECONDS
    list_size: int = LIST_SIZE
    run: str = field(default_factory=lambda: secrets.token_hex(4))
    started_at: float = field(default_factory=time.monotonic)
    packets: int = 0
    message: str = ""
    failed: bool = False
    _thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=f"relay-hls-{self.key}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """End the playlist; the thread closes the muxer (writing ``EXT-X-ENDLIST``) and ends."""
        self.subscription.close()

    def join(self, timeout: float) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    @property
    def segments(self) -> int:
        return sum(1 for path in self.folder.glob(f"{self.run}-*.ts")) if self.folder.is_dir() else 0

    @property
    def playlist_ready(self) -> bool:
        return (self.folder / PLAYLIST).is_file()

    def _options(self) -> dict[str, str]:
        return {
            "hls_time": str(self.segment_seconds),
            "hls_list_size": str(self.list_size),
            "hls_delete_threshold": str(KEEP_AFTER_LIST),
            "hls_flags": "delete_segments+temp_file+independent_segments+program_date_time",
            "hls_segment_type": "mpegts",
            "hls_segment_filename": str(self.folder / f"{self.run}-%d.ts"),
            "hls_start_number_source": "epoch",
        }

    def _prepare_folder(self) -> None:
        """A fresh folder: what an earlier run left (a crash's playlist, stale segments) goes."""
        if self.folder.exists():
            shutil.rmtree(self.folder, ignore_errors=True)
        self.folder.mkdir(parents=True, exist_ok=True)

    def _run(self) -> None:
        container: Any = None
        streams: dict[str, Any] = {}
        try:
            while True:
                item = self.subscription.get(WAIT_FOR_VIDEO)
                if item is None:
                    if self.subscription.closed:
                        break
                    continue
                if container is None:
                    video = self.subscription.video
                    if video is None:
                        continue
                    self._prepare_folder()
                    container = av.open(str(self.folder / PLAYLIST), "w", format="hls", options=self._options())
                    video_stream, audio_stream = add_streams(container, video, self.subscription.audio)
                    streams = {"video": video_stream, "audio": audio_stream}
                item.packet.stream = streams[item.kind]
                container.mux(item.packet)
                self.packets += 1
        except Exception as exc:  # a full disk, a muxer error: this session's HLS stops, the stream goes on
            self.failed = True
            self.message = str(exc)[:200]
            logger.exception("session %s: writing HLS failed", self.key)
            self.subscription.close()
        finally:
            if container is not None:
                with contextlib.suppress(Exception):
                    container.close()

    def status(self) -> dict[str, object]:
        return {
            "playlist": self.url,
            "state": "failed" if self.failed else ("writing" if self.playlist_ready else "starting"),
            "segments": self.segments,
            "message": self.message,
        }


def _has_media(stream: Stream, now: float) -> bool:
    if stream.playback is not None:
        return True
    last = stream.last_media_at()
    return stream.publisher is not None and last is not None and now - last < LIVE_WITHIN


class HlsSessions:
    """A relay's HLS writers: one per session with media, started and ended by a watcher while streams exist."""

    def __init__(
        self,
        settings: RelaySettings,
        streams: Mapping[str, Stream],
        renditions: Renditions,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self._streams = streams
        self._renditions = renditions
        self._clock = clock
        self.writers: dict[str, HlsWriter] = {}
        self._live_at: dict[str, float] = {}
        self._removals: dict[Path, float] = {}
        self._failed_at: dict[str, float] = {}
        self._failures: dict[str, dict[str, object]] = {}  # the last failed writer's status, per key
        self._watcher: asyncio.Task[None] | None = None
        self.enabled = settings.hls

    def wake(self) -> None:
        """A stream was made: watch the streams (the watcher ends by itself once nothing is left to do)."""
        if self.enabled and (self._watcher is None or self._watcher.done()):
            self._watcher = asyncio.get_running_loop().create_task(self._watch())

    async def _watch(self) -> None:
        while self._streams or self.writers or self._removals:
            try:
                self.check()
            except Exception:
                logger.exception("checking which sessions have HLS failed")
            await asyncio.sleep(CHECK_EVERY)

    def check(self) -> None:
        now = self._clock()
        for key, stream in list(self._streams.items()):
            if _has_media(stream, now):
                self._live_at[key] = now
                if key not in self.writers and now - self._failed_at.get(key, float("-inf")) >= RETRY_AFTER:
                    self._start(key)
        for key, writer in list(self.writers.items()):
            if writer.failed or now - self._live_at.get(key, 0.0) > LINGER:
                if writer.failed:
                    self._failed_at[key] = now
                    self._failures[key] = writer.status()
                self._end(key, writer, now)
        for folder, at in list(self._removals.items()):
            if now >= at:
                del self._removals[folder]
                if not any(writer.folder == folder for writer in self.writers.values()):
                    shutil.rmtree(folder, ignore_errors=True)

    def _start(self, key: str) -> None:
        secret = self.settings.secret_key
        folder = hls_folder(self.settings.hls_folder, secret, key)
        self._removals.pop(folder, None)
        self._failures.pop(key, None)
        writer = HlsWriter(key, folder, playlist_url(secret, key), self._renditions.subscribe(key), list_size=LIST_SIZE)
        self.writers[key] = writer
        writer.start()
        logger.info("session %s: writing HLS to %s", key, folder)

    def _end(self, key: str, writer: HlsWriter, now: float) -> None:
        del self.writers[key]
        self._live_at.pop(key, None)
        if len(self._failed_at) > 1000:
            self._failed_at.clear()
            self._failures.clear()
        writer.stop()
        self._removals[writer.folder] = now + REMOVE_AFTER
        logger.info("session %s: HLS ended", key)

    def status(self, key: str) -> dict[str, object] | None:
        """The session's HLS now; after a failure, what went wrong (until it is tried again); else None."""
        writer = self.writers.get(key)
        if writer is not None:
            return writer.status()
        return self._failures.get(key) if key in self._streams else None

    async def close(self) -> None:
        """The relay stops: end every playlist; the folders stay for players fetching the last segments."""
        if self._watcher is not None:
            self._watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watcher
        writers = list(self.writers.values())
        self.writers.clear()
        for writer in writers:
            writer.stop()
        for writer in writers:
            await asyncio.to_thread(writer.join, 2.0)
