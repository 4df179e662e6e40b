"""Busy counters go out coalesced: votes, poll results and presence of a room are collected and sent
as one ``counts`` update per room every ``interval`` (presence alone: every ``presence_every``, longer in
big rooms), read fresh from the database. With several processes a room's counts are sent once more after
``settle`` seconds, so the last update any client gets is read after the last change, whichever process
flushed first. A room whose counts could not be sent (the database away) stays pending until they are; with
Redis away they still reach this process's clients (presence.py answers with the last headcount)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import select

from realtime.live.presence import Presence
from server.broadcast import CountsChanged
from server.clock import utcnow
from server.db import Database, read_latest
from server.live import audiences
from server.live.activity import Headcount as Sample
from server.live.activity import record_viewers
from server.live.counts import onsite_count, poll_counts, poll_results, vote_counts
from server.live.models import LiveRoom

logger = logging.getLogger(__name__)

Emit = Callable[[str, dict[str, Any], str], Awaitable[None]]
# The checked-in count of a room (server.live.room_cache.RoomCache.onsite reads it at most every few seconds).
Onsite = Callable[..., Awaitable[int]]
# Presence news is worth about this many messages a second to a process (2,000 people: every 2 seconds).
PRESENCE_SENDS_PER_SECOND = 1000


@dataclass
class Dirty:
    questions: set[int] = field(default_factory=set)
    polls: set[int] = field(default_factory=set)

    def merge(self, other: Dirty) -> None:
        self.questions |= other.questions
        self.polls |= other.polls


class Coalescer:
    def __init__(
        self,
        database: Database,
        presence: Presence,
        emit: Emit,
        *,
        onsite: Onsite = onsite_count,
        interval: float = 0.3,
        presence_every: float = 1.0,
        settle: float | None = None,
        sample_every: float = 60.0,
    ) -> None:
        self.database = database
        self.presence = presence
        self.emit = emit
        self.interval = interval
        self.settle = settle
        self._dirty: dict[int, Dirty] = {}
        self._settling: dict[int, tuple[float, Dirty]] = {}
        self.onsite = onsite
        self._presence_sent: dict[int, float] = {}
        self.presence_every = presence_every
        self._task: asyncio.Task[None] | None = None
        self.flushes = 0
        self.failing = False  # the last send failed: log once until one succeeds
        self.sample_every = sample_every
        self._sampled = time.monotonic()

    def touch(self, change: CountsChanged) -> None:
        self._dirty.setdefault(change.session_id, Dirty()).merge(
            Dirty(questions=set(change.questions), polls=set(change.polls))
        )

    def touch_presence(self, session_id: int) -> None:
        self._dirty.setdefault(session_id, Dirty())

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.flush()
            except Exception:
                logger.exception("sending coalesced counts failed")
            if time.monotonic() - self._sampled >= self.sample_every:
                self._sampled = time.monotonic()
                try:
                    await self.sample_viewers()
                except Exception:
                    logger.exception("storing the rooms' headcounts failed")

    async def flush(self) -> None:
        now = time.monotonic()
        for session_id in self.presence.due_for_refresh():
            self._dirty.setdefault(session_id, Dirty())
        # A room whose only news is who came or went waits for ``presence_every``: a crowd arriving
        # at a session's start would otherwise cost everyone a message every ``interval``.
        dirty = {
            room: change
            for room, change in self._dirty.items()
            if change.questions or change.polls or now - self._presence_sent.get(room, 0.0) >= self._presence_wait(room)
        }
        for room in dirty:
            del self._dirty[room]
            self._presence_sent[room] = now
        for session_id, (due, pending) in list(self._settling.items()):
            if due <= now and session_id not in dirty:
                del self._settling[session_id]
                if not await self._try_send(session_id, pending):
                    self._settling[session_id] = (now + self.interval, pending)
        for session_id, change in dirty.items():
            if not await self._try_send(session_id, change):
                continue
            if self.settle is not None and (change.questions or change.polls):
                earlier = self._settling.get(session_id, (0.0, Dirty()))[1]
                earlier.merge(change)
                self._settling[session_id] = (now + self.settle, earlier)

    async def sample_viewers(self) -> None:
        """Stores the headcount of each room this process has anyone in, as last computed for the counts (no new
        query), for the organisers' viewers over time."""
        samples = [
            Sample(session_id=room, connected=count.connected, online=count.online)
            for room in self.presence.rooms()
            for count in (self.presence.last(room),)
        ]
        if samples:
            async with self.database.session() as db:
                await record_viewers(db, minute=utcnow(), headcounts=samples)

    def _presence_wait(self, session_id: int) -> float:
        """Seconds between presence-only updates of a room: longer in big rooms, so that presence costs at
        most about ``PRESENCE_SENDS_PER_SECOND`` messages a second however many people are there."""
        return max(self.presence_every, self.presence.local(session_id).connected / PRESENCE_SENDS_PER_SECOND)

    async def _try_send(self, session_id: int, change: Dirty) -> bool:
        """Sends the room's counts; if that fails (the database away), keeps the change for the next flush."""
        try:
            await self._send(session_id, change)
        except Exception:
            if not self.failing:
                logger.exception("sending coalesced counts failed; retrying")
            self.failing = True
            self._dirty.setdefault(session_id, Dirty()).merge(change)
            return False
        self.failing = False
        return True

    async def _send(self, session_id: int, change: Dirty) -> None:
        async with self.database.session() as db:
            rows = await read_latest(db, select(LiveRoom.seq).where(LiveRoom.session_id == session_id))
            seq = int(rows[0].seq) if rows else 0
            votes = (
                await vote_counts(db, session_id=session_id, question_ids=change.questions) if change.questions else {}
            )
            results = await poll_results(db, session_id=session_id, poll_ids=change.polls) if change.polls else []
            onsite = await self.onsite(db, session_id=session_id)
        headcount = await self.presence.headcount(session_id)
        presence = {"connected": headcount.connected, "online": headcount.online, "onsite": onsite}
        base = {"session": session_id, "seq": seq, "votes": votes, "presence": presence}
        for moderator, to in ((True, audiences.moderators), (False, audiences.audience)):
            await self.emit("counts", {**base, **poll_counts(results, moderator=moderator)}, to(session_id))
        self.flushes += 1
