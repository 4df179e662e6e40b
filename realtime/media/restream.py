"""Restreams: while a session the relay ingests is on air, its H.264/AAC rendition (realtime/media/rendition.py,
encoded once per session however many targets and HLS readers) is pushed to each enabled target of the session as
FLV over RTMP(S).

Each push runs in a child process (realtime/media/restream_push.py), fed the rendition's packets on its stdin, so
a target that hangs or crawls never holds the relay's event loop. A push that fails is tried again with exponential
backoff (1 s doubling to 30 s, from 1 s again once it was live); a target that accepted the connection and closed it
at the publish is ``refused`` (a wrong key) and tried every 30 s until the organiser fixes the key (a save restarts
it at once). The relay reads the targets from the app's database every few seconds and writes each one's state,
bitrate and message back, which the console shows.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy.exc import SQLAlchemyError

from realtime.media.restream_push import frame, packet_frame
from server.db import Database
from server.restreams.models import RestreamState
from server.restreams.services import Pushable, StateReport, pushable_targets, report_states
from server.streams.keys import session_id_of

if TYPE_CHECKING:
    from realtime.media.relay import Relay
    from realtime.media.rendition import RenditionPacket, RenditionSubscription

logger = logging.getLogger(__name__)

POLL_SECONDS = 2.0  # between looks at the database and state writes
FIRST_BACKOFF = 1.0
MAX_BACKOFF = 30.0
CONNECT_TIMEOUT = 15.0  # a push not live by then (a host that accepts and never answers) is killed and retried
WRITE_TIMEOUT = 5.0  # a child that takes no packets for this long (its target stalled) is killed and retried
BITRATE_WINDOW = 4.0


@dataclass(frozen=True)
class EncodedPacket:
    """One H.264 (Annex B) or AAC packet of the rendition, its times in its stream's time base."""

    kind: str  # "video" or "audio"
    pts: int
    dts: int
    keyframe: bool
    data: bytes


class PacketSource(Protocol):
    """What a push reads: the codec parameters a muxer needs, then the packets, from a keyframe on."""

    async def header(self) -> dict[str, Any]: ...

    async def next(self) -> EncodedPacket | None: ...

    def close(self) -> None: ...


SourceFactory = Callable[[str], PacketSource]  # a stream key -> a new subscription to its rendition


class RenditionSource:
    """A :class:`PacketSource` over the relay's rendition of one stream (realtime/media/rendition.py): H.264 in
    Annex B with its SPS/PPS as extradata, AAC raw with its AudioSpecificConfig, from a keyframe on."""

    WAIT = 1.0  # seconds per blocking read, in a worker thread

    def __init__(self, subscription: RenditionSubscription) -> None:
        self.subscription = subscription
        self._first: RenditionPacket | None = None

    async def _get(self) -> RenditionPacket | None:
        while not self.subscription.closed:
            item = await asyncio.to_thread(self.subscription.get, self.WAIT)
            if item is not None:
                return item
        return None

    async def header(self) -> dict[str, Any]:
        self._first = await self._get()  # the codec parameters are known once the first picture is encoded
        video, audio = self.subscription.video, self.subscription.audio
        if video is None:
            raise RuntimeError("the rendition has no picture")
        return {
            "video": {
                "width": video.width,
                "height": video.height,
                "extradata": base64.b64encode(video.extradata).decode("ascii"),
                "time_base": [video.time_base.numerator, video.time_base.denominator],
            },
            "audio": {
                "extradata": base64.b64encode(audio.extradata).decode("ascii"),
                "time_base": [audio.time_base.numerator, audio.time_base.denominator],
            },
        }

    async def next(self) -> EncodedPacket | None:
        item, self._first = self._first, None
        if item is None:
            item = await self._get()
        if item is None:
            return None
        packet = item.packet
        return EncodedPacket(
            kind=item.kind,
            pts=int(packet.pts or 0),
            dts=int(packet.dts if packet.dts is not None else packet.pts or 0),
            keyframe=item.keyframe,
            data=bytes(packet),
        )

    def close(self) -> None:
        self.subscription.close()


def rendition_source(relay: Relay) -> SourceFactory:
    return lambda key: RenditionSource(relay.renditions.subscribe(key))


@dataclass
class Push:
    """One target's push: the child process, its state and what it sent."""

    target: Pushable
    state: RestreamState = RestreamState.connecting
    message: str = ""
    task: asyncio.Task[None] | None = None
    handed_over_at: float | None = None  # when the child got the header (the address): it connects from then on
    _sent: list[tuple[float, int]] = field(default_factory=list)

    def bitrate(self) -> int:
        if self.state != RestreamState.live or len(self._sent) < 2:
            return 0
        (start, first), (end, last) = self._sent[0], self._sent[-1]
        return int((last - first) * 8 / (end - start)) if end > start else 0

    def sent(self, total: int) -> None:
        now = time.monotonic()
        self._sent.append((now, total))
        while len(self._sent) > 2 and now - self._sent[0][0] > BITRATE_WINDOW:
            self._sent.pop(0)

    def report(self) -> StateReport:
        return StateReport(self.target.id, self.state, self.bitrate(), self.message)

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.target.id,
            "label": self.target.label,
            "state": self.state.value,
            "bitrate": self.bitrate(),
            "message": self.message,
        }


class Restreams:
    """Every push of one relay; ``wake`` after a stream starts, ``close`` on shutdown."""

    def __init__(
        self,
        relay: Relay,
        database: Database,
        *,
        secret: str,
        source: SourceFactory,
        poll_seconds: float = POLL_SECONDS,
        connect_timeout: float = CONNECT_TIMEOUT,
        command: tuple[str, ...] = (sys.executable, "-m", "realtime.media.restream_push"),
    ) -> None:
        self.relay = relay
        self.database = database
        self.secret = secret
        self.source = source
        self.poll_seconds = poll_seconds
        self.connect_timeout = connect_timeout
        self.command = command
        self.pushes: dict[int, Push] = {}
        self._loop: asyncio.Task[None] | None = None
        self._written: dict[int, StateReport] = {}
        self._closed = False

    def wake(self) -> None:
        """Start looking for targets (a stream began); the loop ends by itself once nothing is on air."""
        if self._closed or (self._loop is not None and not self._loop.done()):
            return
        self._loop = asyncio.get_running_loop().create_task(self._run())

    def statuses(self, key: str) -> list[dict[str, Any]]:
        session_id = session_id_of(key)
        return [push.as_json() for push in self.pushes.values() if push.target.session_id == session_id]

    def _on_air_sessions(self) -> list[int]:
        ids = []
        for key, stream in self.relay.streams.items():
            session_id = session_id_of(key)
            if session_id is not None and stream.on_air():
                ids.append(session_id)
        return ids

    def _sources(self) -> bool:
        """Some session has a publisher (connecting or sending) or a recording playing: it may go on air."""
        return any(
            stream.publisher is not None or stream.playback is not None for stream in self.relay.streams.values()
        )

    async def _run(self) -> None:
        idle_since: float | None = None
        while not self._closed:
            try:
                await self.tick()
            except (SQLAlchemyError, OSError) as exc:
                logger.error("restreams: cannot read or write the targets: %s", exc)
            except Exception:
                logger.exception("restreams: a look at the targets failed")
            if not self.pushes and not self._sources():
                idle_since = idle_since or time.monotonic()
                if time.monotonic() - idle_since > 3 * self.poll_seconds:
                    return  # woken again by the next stream
            else:
                idle_since = None
            await asyncio.sleep(self.poll_seconds)

    async def tick(self) -> None:
        """Start the pushes that should run, stop the others, write what changed."""
        sessions = self._on_air_sessions()
        async with self.database.session() as db:
            wanted, unreadable = await pushable_targets(db, session_ids=sessions, secret=self.secret)
        by_id = {target.id: target for target in wanted}
        for target_id, push in list(self.pushes.items()):
            target = by_id.get(target_id)
            if target is None or target.version != push.target.version:
                await self._stop(push)
                del self.pushes[target_id]
                if target is None:  # turned off, deleted, or the session went off air
                    self._written.pop(target_id, None)
                    await self._write([StateReport(target_id, RestreamState.off)])
        for target in wanted:
            if target.id not in self.pushes:
                push = self.pushes[target.id] = Push(target)
                push.task = asyncio.get_running_loop().create_task(self._keep_pushing(push))
        reports = [push.report() for push in self.pushes.values()]
        reports += [
            StateReport(target_id, RestreamState.refused, 0, "the stream key cannot be read: enter it again")
            for target_id in unreadable
        ]
        await self._write([report for report in reports if self._written.get(report.target_id) != report])

    async def _write(self, reports: list[StateReport]) -> None:
        if not reports:
            return
        async with self.database.session() as db:
            await report_states(db, reports)
        for report in reports:
            self._written[report.target_id] = report

    async def _stop(self, push: Push) -> None:
        if push.task is not None:
            push.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await push.task

    async def _keep_pushing(self, push: Push) -> None:
        backoff = FIRST_BACKOFF
        while True:
            push.state = RestreamState.connecting
            was_live = await self._push_once(push)
            if was_live:
                backoff = FIRST_BACKOFF
            if push.state == RestreamState.refused:
                wait = MAX_BACKOFF
            else:
                push.state, wait = RestreamState.retrying, backoff
                backoff = min(backoff * 2, MAX_BACKOFF)
            logger.info("restream %s: %s (%s); again in %.0f s", push.target.id, push.state, push.message, wait)
            await asyncio.sleep(wait)

    async def _push_once(self, push: Push) -> bool:
        """One child process from start to end; True if it was live."""
        key = str(push.target.session_id)
        source = self.source(key)
        process = await asyncio.create_subprocess_exec(
            *self.command,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
        )
        assert process.stdin is not None and process.stdout is not None
        events = asyncio.get_running_loop().create_task(self._read_events(push, process.stdout))
        feeding = asyncio.get_running_loop().create_task(self._feed(push, source, process.stdin))
        was_live = False
        push.handed_over_at, push.message = None, ""
        try:
            while not events.done():
                await asyncio.wait({events, feeding}, timeout=0.5, return_when=asyncio.FIRST_COMPLETED)
                since = push.handed_over_at
                if push.state == RestreamState.live:
                    was_live = True
                elif (
                    push.state == RestreamState.connecting and since and time.monotonic() - since > self.connect_timeout
                ):
                    push.message = "the target did not answer"
                    break
                if feeding.done() and not events.done():
                    break  # no packets can reach the child any more (it stalled, or the stream ended)
            if feeding.done() and not feeding.cancelled() and feeding.exception() is not None and not push.message:
                push.message = "the target stopped taking the stream"
        finally:
            feeding.cancel()
            source.close()
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()
            events.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await events
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await feeding
        return was_live

    async def _read_events(self, push: Push, stdout: asyncio.StreamReader) -> None:
        async for line in stdout:
            try:
                said = json.loads(line)
            except ValueError:
                continue
            event = said.get("event")
            if event == "live":
                push.state, push.message = RestreamState.live, ""
            elif event == "sent":
                push.sent(int(said.get("bytes", 0)))
            elif event == "failed":
                phase, error = said.get("phase"), str(said.get("error", ""))[:200]
                if phase == "publish":
                    push.state, push.message = RestreamState.refused, f"the target refused the stream key ({error})"
                elif phase == "connect":
                    push.message = f"cannot reach the target: {error}"
                else:
                    push.message = f"the target dropped the stream: {error}"
                return

    async def _feed(self, push: Push, source: PacketSource, stdin: asyncio.StreamWriter) -> None:
        header = await source.header()
        header["address"] = push.target.address
        await self._send(stdin, packet_header(header))
        push.handed_over_at = time.monotonic()
        offset: dict[str, int] | None = None
        while True:
            packet = await source.next()
            if packet is None:
                push.message = push.message or "the session's stream ended"
                return
            if offset is None:
                if packet.kind != "video" or not packet.keyframe:
                    continue  # the target's players start from a keyframe
                offset = _offsets(header, packet)
            pts, dts = packet.pts - offset[packet.kind], packet.dts - offset[packet.kind]
            if dts < 0:
                continue
            kind = b"V" if packet.kind == "video" else b"A"
            await self._send(stdin, packet_frame(kind, pts=pts, dts=dts, keyframe=packet.keyframe, data=packet.data))

    async def _send(self, stdin: asyncio.StreamWriter, data: bytes) -> None:
        stdin.write(data)
        await asyncio.wait_for(stdin.drain(), WRITE_TIMEOUT)

    async def close(self) -> None:
        self._closed = True
        if self._loop is not None:
            self._loop.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop
        for push in list(self.pushes.values()):
            await self._stop(push)
        reports = [StateReport(target_id, RestreamState.off) for target_id in self.pushes]
        self.pushes.clear()
        with contextlib.suppress(SQLAlchemyError, OSError):
            await self._write(reports)


def packet_header(header: dict[str, Any]) -> bytes:
    return frame(b"H", json.dumps(header).encode("utf-8"))


def _offsets(header: dict[str, Any], first: EncodedPacket) -> dict[str, int]:
    """Each stream's start, in its own time base, so the target's timeline begins at 0 at the first keyframe."""
    video_base = header["video"]["time_base"]
    seconds = first.dts * video_base[0] / video_base[1]
    offsets = {"video": first.dts}
    audio = header.get("audio")
    if audio:
        audio_base = audio["time_base"]
        offsets["audio"] = int(seconds * audio_base[1] / audio_base[0])
    return offsets
