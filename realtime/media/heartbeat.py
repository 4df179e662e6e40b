"""The relay's heartbeat: every ``PODIUM_RELAY_HEARTBEAT`` seconds a named relay writes its row of the relay registry
(server/relays): its addresses and role, its load (viewers, CPU, outgoing bitrate), the keys it ingests and those it
has media for, and ``Relay.message`` (what is wrong, for the organiser). The app sends new viewers by these rows; an
edge finds a key's origin by them. A relay that stops beating (killed, frozen, cut off) is dead
``PODIUM_RELAY_DEAD_AFTER`` seconds later; one that shuts down cleanly deletes its row at once.

The heartbeat writes straight into the database (no HTTP endpoint takes one), so only a process holding the
database's credentials can register a relay.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass

from realtime.media.channels import Channel
from realtime.media.config import RelaySettings
from realtime.media.relay import Relay, Stream
from realtime.media.status import LIVE_WITHIN
from server.clock import utcnow
from server.db import Database
from server.relays.models import RelayRole
from server.relays.services import forget_relay, forget_silent, heartbeat

logger = logging.getLogger(__name__)

PRUNE_EVERY = 60  # heartbeats between two clean-ups of relays silent for long (server/relays FORGET_AFTER)
# A shutting-down relay waits this long to leave the registry: a database that does not answer (frozen, cut off)
# must not keep it from stopping; its row then goes dead by itself after PODIUM_RELAY_DEAD_AFTER.
LEAVE_WITHIN = 3.0


@dataclass(frozen=True)
class Load:
    """What one heartbeat reports of the relay's work."""

    viewers: int
    bitrate_out: int  # bits per second sent to every viewer together (an edge pulling counts as one viewer)
    ingests: list[str]  # keys it is the origin of: a publisher (or interpreters) connected, or a recording playing
    carries: list[str]  # keys it has media for now: those it ingests, and those an edge pulls, once media flows


def _stream_ingested(stream: Stream) -> bool:
    publisher = stream.publisher
    return (publisher is not None and publisher.state not in ("failed", "closed")) or stream.playback is not None


def _has_media(last: float | None, now: float) -> bool:
    return last is not None and now - last < LIVE_WITHIN


def measure(relay: Relay, *, edge: bool = False) -> Load:
    """The relay's load now; an edge ingests nothing (it is never a key's origin)."""
    now = time.monotonic()
    ingests: list[str] = []
    carries: list[str] = []
    bitrate = 0
    for key, stream in relay.streams.items():
        if _stream_ingested(stream) and not edge:
            ingests.append(key)
        if _has_media(stream.last_media_at(), now) or key in ingests:
            carries.append(key)
        bitrate += (stream.video.fanout.bitrate() + stream.audio.fanout.bitrate()) * len(stream.viewers)
    for key, channel in relay.channels.items():
        if _channel_ingested(channel) and not edge:
            ingests.append(key)
        if _has_media(channel.last_forwarded_at, now) or key in ingests:
            carries.append(key)
        bitrate += channel.fanout.bitrate() * len(channel.viewers)
    return Load(relay.viewer_count(), bitrate, sorted(ingests), sorted(carries))


def _channel_ingested(channel: Channel) -> bool:
    return any(peer.state not in ("failed", "closed") for peer in channel.publishers.values())


class CpuMeter:
    """The process's CPU time over the wall time since the last reading, in percent of one core (every thread)."""

    def __init__(self) -> None:
        self._cpu = time.process_time()
        self._wall = time.monotonic()

    def percent(self) -> float:
        cpu, wall = time.process_time(), time.monotonic()
        used, elapsed = cpu - self._cpu, wall - self._wall
        self._cpu, self._wall = cpu, wall
        return 100.0 * used / elapsed if elapsed > 0 else 0.0


class Heartbeat:
    """Writes ``relay``'s registry row every ``settings.heartbeat_interval`` seconds until stopped."""

    def __init__(self, relay: Relay, database: Database, settings: RelaySettings) -> None:
        if not settings.relay_name:
            raise ValueError("a relay without a name writes no heartbeat")
        self.relay = relay
        self.database = database
        self.settings = settings
        self.role = RelayRole.edge if settings.edge else RelayRole.origin
        self.started_at = utcnow()
        self.cpu = CpuMeter()
        self.beats = 0
        self._failing = False
        self._task: asyncio.Task[None] | None = None

    async def beat(self) -> None:
        """One heartbeat, now; given up once it is as old as a dead relay's (a database that does not answer): a
        late heartbeat would only say that a relay is alive when it may not be any more."""
        settings = self.settings
        load = measure(self.relay, edge=settings.edge)
        async with asyncio.timeout(settings.dead_after), self.database.session() as db:
            await heartbeat(
                db,
                name=settings.relay_name,
                role=self.role,
                internal_url=settings.internal_url,
                public_url=settings.public_url,
                viewers=load.viewers,
                max_viewers=settings.max_viewers,
                cpu_percent=self.cpu.percent(),
                bitrate_out=load.bitrate_out,
                ingests=load.ingests,
                carries=load.carries,
                message=self.relay.message,
                started_at=self.started_at,
                now=utcnow(),
            )
            if self.beats % PRUNE_EVERY == 0:
                await forget_silent(db, now=utcnow())
        self.beats += 1

    async def run(self) -> None:
        """Beats until cancelled; a database that fails (restarting, unreachable) costs heartbeats, never the
        relay: it keeps serving its viewers and registers again once the database answers."""
        while True:
            try:
                await self.beat()
                if self._failing:
                    logger.info("relay %s: heartbeats are written again", self.settings.relay_name)
                self._failing = False
            except asyncio.CancelledError:
                raise
            except Exception:
                if not self._failing:
                    logger.warning("relay %s: writing its heartbeat failed", self.settings.relay_name, exc_info=True)
                self._failing = True
            await asyncio.sleep(self.settings.heartbeat_interval)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self.run(), name=f"heartbeat {self.settings.relay_name}")

    async def stop(self) -> None:
        """Stops beating and leaves the registry, so no viewer is sent here any more."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        try:
            async with asyncio.timeout(LEAVE_WITHIN), self.database.session() as db:
                await forget_relay(db, name=self.settings.relay_name, started_at=self.started_at)
        except Exception:
            logger.warning("relay %s: leaving the registry failed", self.settings.relay_name, exc_info=True)
