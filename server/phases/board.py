"""Every session's phase in an event at one moment, read in a fixed number of statements and kept briefly.

Pages, the API and ``now.json`` all read the same board, so at any moment they agree. The relay's answer (which
sessions have media) is one bulk call, kept ``RELAY_TTL`` seconds; a board is kept ``BOARD_TTL`` seconds per event.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Awaitable, Callable, Hashable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from functools import cached_property

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.agenda.models import Room, Session
from server.archive.models import SessionArchive
from server.errors import PodiumError
from server.phases import rule
from server.phases.rule import Phase, phase_of
from server.replays.models import Replay, ReplayState
from server.streams.channels import floor_key

log = logging.getLogger(__name__)

RELAY_TTL = 2.0  # seconds the relay's list of sessions with media is reused
RELAY_DOWN_TTL = 10.0  # seconds a relay that did not answer is not asked again
BOARD_TTL = 2.0  # seconds an event's board is reused


@dataclass(frozen=True)
class PhaseBoard:
    now: dt.datetime
    phases: dict[int, Phase]  # session id → phase
    on_air: frozenset[int]  # sessions whose stream has media now

    def phase(self, session_id: int | None) -> Phase:
        return self.phases.get(session_id or 0, Phase.upcoming)

    @cached_property
    def stamp(self) -> str:
        """What a cached page showing phases depends on: it changes exactly when a phase does. Made once per board,
        and a string, whose hash Python keeps: every cached page's key holds it."""
        return ",".join(f"{session_id}:{phase.value}" for session_id, phase in sorted(self.phases.items()))


async def published_replays(db: AsyncSession, *, event_id: int) -> set[int]:
    """The event's sessions with a ready replay that organisers published: one statement."""
    rows = await db.exec(
        select(Replay.session_id)
        .join(SessionArchive, col(SessionArchive.session_id) == col(Replay.session_id))
        .where(
            col(Replay.event_id) == event_id,
            col(Replay.state) == ReplayState.ready,
            col(SessionArchive.replay_published).is_(sa.true()),
        )
    )
    return set(rows.all())


async def load_board(db: AsyncSession, *, event_id: int, live_keys: set[str], now: dt.datetime) -> PhaseBoard:
    """Two statements, however many sessions and rooms: the sessions' times with their rooms' ``streamed``, and
    the published replays."""
    rows = (
        await db.execute(
            sa.select(col(Session.id), col(Session.start), col(Session.end), col(Session.cancelled), col(Room.streamed))
            .join(Room, col(Room.id) == col(Session.room_id))
            .where(col(Session.event_id) == event_id)
        )
    ).all()
    replays = await published_replays(db, event_id=event_id)
    phases: dict[int, Phase] = {}
    on_air: set[int] = set()
    for session_id, start, end, cancelled, streamed in rows:
        if session_id is None:
            continue
        live = floor_key(session_id) in live_keys
        if live:
            on_air.add(session_id)
        phases[session_id] = phase_of(
            start=start,
            end=end,
            cancelled=cancelled,
            streamed=streamed,
            on_air=live,
            replay_ready=session_id in replays,
            now=now,
        )
    return PhaseBoard(now=now, phases=phases, on_air=frozenset(on_air))


LiveKeys = Callable[[], Awaitable[set[str]]]


@dataclass(eq=False)
class PhaseBoards:
    """One application's boards and its last answer from the relay, each kept a moment."""

    relay_ttl: float = RELAY_TTL
    board_ttl: float = BOARD_TTL
    _relay: tuple[float, set[str]] | None = None  # (until when, keys)
    _boards: dict[tuple[int, int], tuple[float, PhaseBoard]] = field(default_factory=dict)
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    # Documents built from a board (now.json), by whatever key their maker gives, kept as long as a board.
    documents: dict[Hashable, tuple[float, bytes]] = field(default_factory=dict)

    async def live_keys(self, ask: LiveKeys | None) -> set[str]:
        """The relay's floor keys with media; none without a relay, and none (logged) while it does not answer:
        the schedule alone then decides, rather than a page failing."""
        if ask is None:
            return set()
        cached = self._relay
        if cached is not None and time.monotonic() < cached[0]:
            return cached[1]
        try:
            keys = await ask()
            kept = self.relay_ttl
        except PodiumError as exc:
            log.warning("the relay's live streams are unknown: %s", exc)
            keys, kept = set(), RELAY_DOWN_TTL
        self._relay = (time.monotonic() + kept, keys)
        return keys

    def kept(self, *, event_id: int, version: int) -> PhaseBoard | None:
        """The event's board at its ``version`` when one read a moment ago is kept: what most requests get, with no
        database session opened (the agenda's hot path)."""
        cached = self._boards.get((event_id, version))
        if cached is not None and time.monotonic() - cached[0] < self.board_ttl:
            return cached[1]
        return None

    async def board(
        self,
        sessions: Callable[[], AbstractAsyncContextManager[AsyncSession]],
        *,
        event_id: int,
        version: int,
        ask: LiveKeys | None,
    ) -> PhaseBoard:
        """The event's board at its ``version`` (a programme change reads afresh), at most a moment old; a session
        from ``sessions`` is opened only to read a new one."""
        kept = self.kept(event_id=event_id, version=version)
        if kept is not None:
            return kept
        async with self._lock:  # a burst of requests reads the database once
            kept = self.kept(event_id=event_id, version=version)
            if kept is not None:
                return kept
            keys = await self.live_keys(ask)
            async with sessions() as db:
                board = await load_board(db, event_id=event_id, live_keys=keys, now=rule.current_time())
            if len(self._boards) > 256:
                self._boards.clear()
            self._boards[(event_id, version)] = (time.monotonic(), board)
            return board

    def forget(self) -> None:
        """For tests that move the clock: the next read is fresh."""
        self._relay = None
        self.forget_boards()

    def forget_boards(self) -> None:
        self._boards.clear()
        self.documents.clear()

    def document(self, key: Hashable) -> bytes | None:
        kept = self.documents.get(key)
        return kept[1] if kept is not None and time.monotonic() - kept[0] < self.board_ttl else None

    def keep_document(self, key: Hashable, body: bytes) -> None:
        if len(self.documents) > 512:
            self.documents.clear()
        self.documents[key] = (time.monotonic(), body)
