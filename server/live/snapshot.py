"""Joining a room: the whole room as the participant may see it, or only the events they missed."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.agenda.models import Session
from server.db import read_latest
from server.live.access import Participant
from server.live.announcements import current_announcements
from server.live.chat import held_messages
from server.live.counts import PollResult, poll_counts, poll_results, vote_counts
from server.live.models import LiveRoom, Mute, Poll, PollVote, QuestionVote
from server.live.mutes import muted_people
from server.live.room_cache import RoomCache
from server.live.room_log import ensure_room, event_for, since
from server.live.views import JSON, Viewer


async def join_room(
    db: AsyncSession, *, actor: Participant, since_seq: int | None, cache: RoomCache, newcomer: bool = False
) -> JSON:
    """The answer to ``join``; see realtime/live/PROTOCOL.md. The seq is read before the objects, so
    what the snapshot shows is at least as new as its ``seq``, and later events apply on top of it. The
    objects come from ``cache`` while no newer seq has been read; votes and poll results are read
    fresh and patched in. ``newcomer``: a guest's first join with a new key, who has nothing here yet."""
    seq = await _current_seq(db, session_id=actor.session_id)
    viewer = Viewer(key=actor.key, moderator=actor.can_moderate)
    entries = None if since_seq is None else await since(db, session_id=actor.session_id, seq=since_seq, current=seq)
    state = await cache.state(db, session_id=actor.session_id, seq=seq) if entries is None else None
    if state is not None:
        seq = state.seq  # as new as the seq read above, or newer
    answer: JSON = {"session": actor.session_id, "seq": seq}
    me = await _me(db, actor=actor, newcomer=newcomer)
    votes = await vote_counts(db, session_id=actor.session_id, moderator=actor.can_moderate)
    results = await poll_results(db, session_id=actor.session_id)
    if state is not None:
        shown_room, questions, polls = state.seen_by(viewer)
        answer["mode"] = "snapshot"
        answer["room"] = _room_with_votes(shown_room, votes)
        answer["questions"] = [_with_votes(question, votes) for question in questions]
        answer["chat"], answer["chat_more"] = state.chat, state.chat_more
        answer["polls"] = [_with_results(poll, results) for poll in polls]
    else:
        answer["mode"] = "events"
        answer["events"] = [event_for(entry, viewer) for entry in entries or ()]
        # The client resumes from the answer's seq: never let it run ahead of the last event brought.
        answer["seq"] = answer["events"][-1]["seq"] if answer["events"] else since_seq
    answer["me"] = me
    # Messages waiting for review: all of them for moderators, one's own for everyone else (a newcomer has none).
    author = None if actor.can_moderate else actor.key
    answer["chat_held"] = [] if newcomer else await held_messages(db, session_id=actor.session_id, author_key=author)
    if actor.can_moderate:  # the muted list is for moderators only
        answer["muted"] = await muted_people(db, event_id=actor.event_id, session_id=actor.session_id)
    onsite = await cache.onsite(db, session_id=actor.session_id)
    answer["counts"] = {
        "session": actor.session_id,
        "seq": seq,
        "votes": votes,
        **poll_counts(results, moderator=actor.can_moderate),
        # connected and online are the realtime layer's to fill in
        "presence": {"connected": 0, "online": 0, "onsite": onsite},
    }
    answer["announcements"] = await current_announcements(db, event_id=actor.event_id)
    return answer


# Built once: every join runs these (see server.db.read_latest).
_SEQ = select(LiveRoom.seq).where(LiveRoom.session_id == bindparam("session_id"))
_VOTED = select(QuestionVote.question_id).where(
    QuestionVote.session_id == bindparam("session_id"), QuestionVote.voter_key == bindparam("key")
)
_BALLOTS = (
    select(PollVote.poll_id, PollVote.option_id)
    .join(Poll, col(Poll.id) == col(PollVote.poll_id))
    .where(Poll.session_id == bindparam("session_id"), PollVote.voter_key == bindparam("key"))
)
_MUTED = select(Mute.id).where(Mute.session_id == bindparam("session_id"), Mute.participant_key == bindparam("key"))


async def _current_seq(db: AsyncSession, *, session_id: int) -> int:
    rows = await read_latest(db, _SEQ, {"session_id": session_id})
    if rows:
        return int(rows[0].seq)
    room = await ensure_room(db, session=await db.get_one(Session, session_id))  # its first join
    return room.seq


def _with_votes(question: JSON, votes: dict[str, int]) -> JSON:
    """The kept view of a question with its current votes (votes do not move the room's seq)."""
    current = votes.get(str(question["id"]), question["votes"])
    return question if current == question["votes"] else {**question, "votes": current}


def _room_with_votes(room: JSON, votes: dict[str, int]) -> JSON:
    highlighted = room["highlighted"]
    if highlighted is None:
        return room
    return {**room, "highlighted": _with_votes(highlighted, votes)}


def _with_results(poll: JSON, results: list[PollResult]) -> JSON:
    """The kept view of a poll with its current results, where this view shows results at all."""
    result = next((result for result in results if result.poll_id == poll["id"]), None)
    if result is None or poll["voters"] is None:
        return poll
    options = [
        {**option, "votes": result.options.get(str(option["id"]), option["votes"])} for option in poll["options"]
    ]
    return {**poll, "options": options, "voters": result.voters}


async def _me(db: AsyncSession, *, actor: Participant, newcomer: bool) -> JSON:
    voted: list[int] = []
    poll_votes: dict[str, list[int]] = {}
    muted = False
    if not newcomer:
        whose = {"session_id": actor.session_id, "key": actor.key}
        voted = [question_id for (question_id,) in await read_latest(db, _VOTED, whose)]
        for poll_id, option_id in await read_latest(db, _BALLOTS, whose):
            poll_votes.setdefault(str(poll_id), []).append(option_id)
        muted = bool(await read_latest(db, _MUTED, whose))
    me: dict[str, Any] = {
        "key": actor.key,
        "name": actor.name,
        "kind": actor.kind,
        "origin": actor.origin,
        "can_moderate": actor.can_moderate,
        "can_announce": actor.can_announce,
        "muted": muted,
        "voted": sorted(voted),
        "poll_votes": {poll: sorted(options) for poll, options in poll_votes.items()},
    }
    if actor.guest_key is not None:
        me["guest_key"] = actor.guest_key
    return me
