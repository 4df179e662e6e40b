"""Polls: moderators create single or multiple choice polls, open and close them, show results live."""

from __future__ import annotations

from sqlmodel import col, delete, select, update
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from server.broadcast import CountsChanged, Outcome
from server.db import begin_write
from server.errors import Conflict, InvalidInput, NotFound
from server.i18n import gettext as _
from server.live.access import Participant
from server.live.inputs import clean_text
from server.live.models import LiveRoom, Poll, PollKind, PollOption, PollStatus, PollVote, RoomLog
from server.live.once import create_once
from server.live.room_log import append, fanout, room_write
from server.live.rules import can_moderate, in_room
from server.live.views import JSON, Viewer, poll_for, poll_view
from server.permissions import require

MAX_QUESTION = 300
MAX_OPTION = 200
MIN_OPTIONS, MAX_OPTIONS = 2, 10


def _viewer(actor: Participant) -> Viewer:
    return Viewer(key=actor.key, moderator=actor.can_moderate)


async def _options(db: AsyncSession, poll_id: int) -> list[PollOption]:
    rows = await db.exec(select(PollOption).where(PollOption.poll_id == poll_id).order_by(col(PollOption.position)))
    return list(rows.all())


async def full_view(db: AsyncSession, poll: Poll) -> JSON:
    return poll_view(poll, await _options(db, poll.id or 0))


def _earlier(*, actor: Participant, session_id: int, client_id: str) -> SelectOfScalar[Poll]:
    return select(Poll).where(Poll.session_id == session_id, Poll.created_by == actor.key, Poll.client_id == client_id)


async def create_poll(
    db: AsyncSession,
    *,
    actor: Participant,
    session_id: int,
    question: str,
    kind: str,
    options: list[str],
    client_id: str,
) -> Outcome:
    """A draft poll: only moderators see it until it opens."""
    require(actor, in_room, session_id)
    require(actor, can_moderate)
    question = clean_text(question, limit=MAX_QUESTION)
    if kind not in set(PollKind):
        raise InvalidInput(_("A poll is single or multiple choice."))
    if not MIN_OPTIONS <= len(options) <= MAX_OPTIONS:
        raise InvalidInput(_("A poll has 2 to 10 options."))
    texts = [clean_text(option, limit=MAX_OPTION) for option in options]

    async def create() -> Outcome:
        await db.rollback()
        async with room_write(db, session_id=session_id) as room:
            poll = Poll(
                event_id=actor.event_id,
                session_id=session_id,
                question=question,
                kind=kind,
                created_by=actor.key,
                client_id=client_id,
            )
            db.add(poll)
            await db.flush()
            for position, text in enumerate(texts):
                db.add(PollOption(poll_id=poll.id or 0, position=position, text=text))
            await db.flush()
            view = await full_view(db, poll)
            entry = append(db, room, kind="poll", data=view)
            await db.commit()
        return Outcome(answer={"poll": view}, messages=fanout([entry]))

    async def answer(poll: Poll) -> JSON:
        return {"poll": await full_view(db, poll)}

    earlier = _earlier(actor=actor, session_id=session_id, client_id=client_id)
    return await create_once(db, client_id=client_id, earlier=earlier, create=create, answer=answer)


async def _locked_poll(db: AsyncSession, *, session_id: int, poll_id: int) -> Poll:
    poll = (
        await db.exec(
            select(Poll)
            .where(Poll.id == poll_id, Poll.session_id == session_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).first()
    if poll is None:
        raise NotFound(_("There is no such poll in this room."))
    return poll


async def _change(db: AsyncSession, *, actor: Participant, session_id: int, poll_id: int, **values: object) -> Outcome:
    require(actor, in_room, session_id)
    require(actor, can_moderate)
    async with room_write(db, session_id=session_id) as room:
        poll = await _locked_poll(db, session_id=session_id, poll_id=poll_id)
        entries: list[RoomLog] = []
        if values.get("status") == PollStatus.open:
            entries += await _close_others(db, room, poll_id=poll_id)
        for name, value in values.items():
            setattr(poll, name, value)
        db.add(poll)
        await db.flush()
        view = await full_view(db, poll)
        entries.append(append(db, room, kind="poll", data=view))
        await db.commit()
    return Outcome(answer={"poll": poll_for(view, _viewer(actor))}, messages=fanout(entries))


async def _close_others(db: AsyncSession, room: LiveRoom, *, poll_id: int) -> list[RoomLog]:
    others = await db.exec(
        select(Poll).where(Poll.session_id == room.session_id, Poll.status == PollStatus.open, Poll.id != poll_id)
    )
    entries: list[RoomLog] = []
    for other in others.all():
        other.status = PollStatus.closed
        db.add(other)
        await db.flush()
        entries.append(append(db, room, kind="poll", data=await full_view(db, other)))
    return entries


async def open_poll(db: AsyncSession, *, actor: Participant, session_id: int, poll_id: int) -> Outcome:
    """Opens the poll for votes; the room's other open poll closes: one current poll at a time."""
    return await _change(db, actor=actor, session_id=session_id, poll_id=poll_id, status=PollStatus.open)


async def close_poll(db: AsyncSession, *, actor: Participant, session_id: int, poll_id: int) -> Outcome:
    return await _change(db, actor=actor, session_id=session_id, poll_id=poll_id, status=PollStatus.closed)


async def show_results(
    db: AsyncSession, *, actor: Participant, session_id: int, poll_id: int, visible: bool
) -> Outcome:
    return await _change(db, actor=actor, session_id=session_id, poll_id=poll_id, results_visible=visible)


async def vote_poll(
    db: AsyncSession, *, actor: Participant, session_id: int, poll_id: int, option_ids: list[int]
) -> Outcome:
    """Casts (or replaces) the actor's ballot on an open poll. The poll row is locked, so one voter's
    ballots in two tabs cannot both count."""
    require(actor, in_room, session_id)
    chosen = set(option_ids)
    if not chosen or len(chosen) != len(option_ids):
        raise InvalidInput(_("Please choose one or more different options."))
    await begin_write(db)
    try:
        poll = await _locked_poll(db, session_id=session_id, poll_id=poll_id)
        if poll.status == PollStatus.draft and not actor.can_moderate:
            raise NotFound(_("There is no such poll in this room."))
        if poll.status != PollStatus.open:
            raise Conflict(_("This poll is not open for votes."))
        if poll.kind == PollKind.single and len(chosen) != 1:
            raise InvalidInput(_("This poll takes exactly one choice."))
        valid = {option.id for option in await _options(db, poll_id)}
        if not chosen <= valid:
            raise InvalidInput(_("There is no such option in this poll."))
        before = set(
            (
                await db.exec(
                    select(PollVote.option_id).where(PollVote.poll_id == poll_id, PollVote.voter_key == actor.key)
                )
            ).all()
        )
        if before != chosen:
            await _replace_ballot(db, poll=poll, voter_key=actor.key, before=before, chosen=chosen)
        await db.commit()
    except BaseException:
        await db.rollback()
        raise
    counts = [CountsChanged(session_id=session_id, polls=frozenset({poll_id}))] if before != chosen else []
    return Outcome(answer={"poll": poll_id, "options": sorted(chosen)}, counts=counts)


async def _replace_ballot(db: AsyncSession, *, poll: Poll, voter_key: str, before: set[int], chosen: set[int]) -> None:
    if before:
        await db.exec(delete(PollVote).where(col(PollVote.poll_id) == poll.id, col(PollVote.voter_key) == voter_key))
        await db.exec(update(PollOption).where(col(PollOption.id).in_(before)).values(votes=col(PollOption.votes) - 1))
    else:
        poll.voters += 1
        db.add(poll)
    for option_id in chosen:
        db.add(PollVote(poll_id=poll.id or 0, voter_key=voter_key, option_id=option_id))
    await db.exec(update(PollOption).where(col(PollOption.id).in_(chosen)).values(votes=col(PollOption.votes) + 1))
    await db.flush()
