"""Joining a room: the whole room as the participant may see it, or only the events they missed."""

from __future__ import annotations

from typing import Any

from sqlmodel import col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.agenda.models import Session
from server.live.access import Participant, is_muted
from server.live.announcements import current_announcements
from server.live.chat import recent_messages
from server.live.counts import onsite_count, poll_results, visible_results, vote_counts
from server.live.models import Poll, PollOption, PollVote, Question, QuestionStatus, QuestionVote
from server.live.room_log import ensure_room, event_for, room_entry, since
from server.live.views import JSON, Viewer, poll_for, poll_view, question_for, question_view, room_for


async def join_room(db: AsyncSession, *, actor: Participant, since_seq: int | None) -> JSON:
    """The answer to ``join``; see realtime/live/PROTOCOL.md. The seq is read before the objects, so
    what the snapshot shows is at least as new as its ``seq``, and later events apply on top of it."""
    session = await db.get_one(Session, actor.session_id)
    room = await ensure_room(db, session=session)  # read fresh: each request has its own session
    viewer = Viewer(key=actor.key, moderator=actor.can_moderate)
    answer: JSON = {"session": actor.session_id, "seq": room.seq}
    entries = (
        None if since_seq is None else await since(db, session_id=room.session_id, seq=since_seq, current=room.seq)
    )
    if entries is None:
        answer["mode"] = "snapshot"
        answer["room"] = room_for(await room_entry(db, room), viewer)
        answer["questions"] = await _questions(db, actor=actor, viewer=viewer)
        answer["chat"] = await recent_messages(db, session_id=actor.session_id)
        answer["polls"] = await _polls(db, session_id=actor.session_id, viewer=viewer)
    else:
        answer["mode"] = "events"
        answer["events"] = [event_for(entry, viewer) for entry in entries]
    answer["me"] = await _me(db, actor=actor)
    answer["counts"] = await room_counts(db, actor=actor, seq=room.seq)
    answer["announcements"] = await current_announcements(db, event_id=actor.event_id)
    return answer


async def _questions(db: AsyncSession, *, actor: Participant, viewer: Viewer) -> list[JSON]:
    statement = select(Question).where(Question.session_id == actor.session_id)
    if not actor.can_moderate:
        public = (col(Question.status) == QuestionStatus.approved) & col(Question.archived).is_(False)
        statement = statement.where(or_(public, col(Question.author_key) == actor.key))
    rows = (await db.exec(statement.order_by(col(Question.id)))).all()
    views = (question_for(question_view(question), viewer) for question in rows)
    return [view for view in views if view is not None]


async def _polls(db: AsyncSession, *, session_id: int, viewer: Viewer) -> list[JSON]:
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
    views = (poll_for(poll_view(poll, [o for o in options if o.poll_id == poll.id]), viewer) for poll in polls)
    return [view for view in views if view is not None]


async def _me(db: AsyncSession, *, actor: Participant) -> JSON:
    voted = await db.exec(
        select(QuestionVote.question_id).where(
            QuestionVote.session_id == actor.session_id, QuestionVote.voter_key == actor.key
        )
    )
    ballots = await db.exec(
        select(PollVote.poll_id, PollVote.option_id)
        .join(Poll, col(Poll.id) == col(PollVote.poll_id))
        .where(Poll.session_id == actor.session_id, PollVote.voter_key == actor.key)
    )
    poll_votes: dict[str, list[int]] = {}
    for poll_id, option_id in ballots.all():
        poll_votes.setdefault(str(poll_id), []).append(option_id)
    me: dict[str, Any] = {
        "key": actor.key,
        "name": actor.name,
        "kind": actor.kind,
        "origin": actor.origin,
        "can_moderate": actor.can_moderate,
        "can_announce": actor.can_announce,
        "muted": await is_muted(db, session_id=actor.session_id, key=actor.key),
        "voted": sorted(voted.all()),
        "poll_votes": {poll: sorted(options) for poll, options in poll_votes.items()},
    }
    if actor.guest_key is not None:
        me["guest_key"] = actor.guest_key
    return me


async def room_counts(db: AsyncSession, *, actor: Participant, seq: int) -> JSON:
    """Every counter of the room the participant may see; presence's connected and online are the
    realtime layer's to fill in."""
    results = await poll_results(db, session_id=actor.session_id)
    return {
        "session": actor.session_id,
        "seq": seq,
        "votes": await vote_counts(db, session_id=actor.session_id, moderator=actor.can_moderate),
        "polls": visible_results(results, moderator=actor.can_moderate),
        "presence": {"connected": 0, "online": 0, "onsite": await onsite_count(db, session_id=actor.session_id)},
    }
