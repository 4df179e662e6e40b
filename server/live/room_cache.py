"""What a process keeps of each live room between joins, so that a crowd joining at a session's start does
not read the whole room once per person.

- The room's state (settings and highlighted question, questions, the last page of chat, polls) as
  moderators see it, with the audience's view of it made once, and the ``seq`` read before it. Every
  change of these objects bumps ``seq`` in the transaction that makes it (``room_log.append``), whichever
  process makes it, and every join reads ``seq`` first: a join that reads a newer ``seq`` than the kept
  state's reads the room again. Votes change counters, not ``seq``: a join answer takes them from fresh
  counts.
- The number of people checked in on site, which changes at the check-in desk rather than in the room:
  read at most every ``ONSITE_EVERY`` seconds per room, for join answers and coalesced counts alike.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from dataclasses import dataclass

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.live.chat import recent_messages
from server.live.counts import onsite_count
from server.live.models import LiveRoom, Poll, PollOption, Question
from server.live.room_log import room_entry
from server.live.views import AUDIENCE, JSON, Viewer, poll_for, poll_view, question_for, question_view, room_for

ONSITE_EVERY = 10.0  # seconds between reads of a room's checked-in count
KEEP_ROOMS = 64  # rooms whose state a process keeps (the most recently joined)


@dataclass(frozen=True, slots=True)
class RoomState:
    """A room at one ``seq``, shared by every answer built from it: never mutate its lists or dicts."""

    seq: int
    room: JSON  # as moderators see it (the log's form)
    questions: list[JSON]
    chat: list[JSON]
    chat_more: bool
    polls: list[JSON]
    askers: frozenset[str]  # participant keys with a question here: they see more than the audience
    audience_room: JSON
    audience_questions: list[JSON]
    audience_polls: list[JSON]

    def seen_by(self, viewer: Viewer) -> tuple[JSON, list[JSON], list[JSON]]:
        """Room, questions and polls as ``viewer`` sees them."""
        if not viewer.moderator and viewer.key not in self.askers:
            return self.audience_room, self.audience_questions, self.audience_polls
        questions = [view for view in (question_for(q, viewer) for q in self.questions) if view is not None]
        polls = self.audience_polls if not viewer.moderator else self.polls
        return room_for(self.room, viewer), questions, polls


async def read_room_state(db: AsyncSession, room: LiveRoom) -> RoomState:
    """Reads the room's objects; call after reading ``room.seq``, so they are at least as new as it."""
    session_id = room.session_id
    entry = await room_entry(db, room)
    rows = await db.exec(select(Question).where(Question.session_id == session_id).order_by(col(Question.id)))
    questions = [question_view(question) for question in rows.all()]
    chat, chat_more = await recent_messages(db, session_id=session_id)
    polls = await _polls(db, session_id=session_id)
    return RoomState(
        seq=room.seq,
        room=entry,
        questions=questions,
        chat=chat,
        chat_more=chat_more,
        polls=polls,
        askers=frozenset(question["author"]["key"] for question in questions),
        audience_room=room_for(entry, AUDIENCE),
        audience_questions=[view for view in (question_for(q, AUDIENCE) for q in questions) if view is not None],
        audience_polls=[view for view in (poll_for(poll, AUDIENCE) for poll in polls) if view is not None],
    )


async def _polls(db: AsyncSession, *, session_id: int) -> list[JSON]:
    polls = (await db.exec(select(Poll).where(Poll.session_id == session_id).order_by(col(Poll.id)))).all()
    if not polls:
        return []
    options = (
        await db.exec(
            select(PollOption)
            .where(col(PollOption.poll_id).in_([poll.id for poll in polls]))
            .order_by(col(PollOption.position))
        )
    ).all()
    return [poll_view(poll, [option for option in options if option.poll_id == poll.id]) for poll in polls]


class RoomCache:
    def __init__(self, *, keep_rooms: int = KEEP_ROOMS, onsite_every: float = ONSITE_EVERY) -> None:
        self.keep_rooms = keep_rooms
        self.onsite_every = onsite_every
        self._states: OrderedDict[int, RoomState] = OrderedDict()
        self._reading: dict[int, asyncio.Lock] = {}
        self._onsite: dict[int, tuple[float, int]] = {}
        self.reads = 0  # room states read from the database, for tests and benchmarks

    async def state(self, db: AsyncSession, *, session_id: int, seq: int) -> RoomState:
        """The room's state at ``seq`` or later (``seq`` was read from the database just before). Joins
        that arrive together wait for one read of it."""
        kept = self._kept(session_id, seq)
        if kept is not None:
            return kept
        async with self._reading.setdefault(session_id, asyncio.Lock()):
            kept = self._kept(session_id, seq)
            if kept is not None:
                return kept
            if db.in_transaction():  # a read begun earlier (admitting an account) may predate ``seq``
                await db.commit()
            room = await db.get_one(LiveRoom, session_id, populate_existing=True)
            state = await read_room_state(db, room)
            self.reads += 1
            current = self._states.get(session_id)
            if current is None or current.seq <= state.seq:  # an older read never replaces a newer state
                self._states[session_id] = state
                self._states.move_to_end(session_id)
                while len(self._states) > self.keep_rooms:
                    self._states.popitem(last=False)
            return state

    def _kept(self, session_id: int, seq: int) -> RoomState | None:
        state = self._states.get(session_id)
        if state is None or state.seq < seq:
            return None
        self._states.move_to_end(session_id)
        return state

    async def onsite(self, db: AsyncSession, *, session_id: int) -> int:
        now = time.monotonic()
        read_at, count = self._onsite.get(session_id, (0.0, 0))
        if session_id not in self._onsite or now - read_at >= self.onsite_every:
            count = await onsite_count(db, session_id=session_id)
            self._onsite[session_id] = (now, count)
        return count
