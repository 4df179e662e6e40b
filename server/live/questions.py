"""Q&A: one queue for on-site and online askers, upvotes, and the moderators' review and stage tools."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy import func, insert, literal
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from server.broadcast import Outcome
from server.errors import Conflict, Forbidden, NotFound
from server.i18n import gettext as _
from server.live.access import Participant
from server.live.authors import authored_by
from server.live.inputs import clean_text
from server.live.models import LiveRoom, Question, QuestionStatus, QuestionVote, RoomLog
from server.live.once import create_once
from server.live.room_log import append, fanout, question_entry, room_entry, room_write
from server.live.rules import can_moderate, in_room
from server.live.views import Viewer, is_public, question_for, question_view, room_for
from server.permissions import require

MAX_QUESTION = 500
MAX_LABEL = 40


def _viewer(actor: Participant) -> Viewer:
    return Viewer(key=actor.key, moderator=actor.can_moderate)


def _answer(question: Question, actor: Participant, **extra: object) -> dict[str, object]:
    return {"question": question_for(question_view(question), _viewer(actor)), **extra}


def _earlier(*, actor: Participant, session_id: int, client_id: str) -> SelectOfScalar[Question]:
    return select(Question).where(
        Question.session_id == session_id, Question.author_key == actor.key, Question.client_id == client_id
    )


async def ask_question(
    db: AsyncSession, *, actor: Participant, session_id: int, text: str, anonymous: bool, client_id: str
) -> Outcome:
    """Ask; in a moderated room the question waits for review, seen by its asker and the moderators."""
    require(actor, in_room, session_id)
    text = clean_text(text, limit=MAX_QUESTION)

    async def create() -> Outcome:
        await db.rollback()
        async with room_write(db, session_id=session_id) as room:
            if not room.qa_open and not actor.can_moderate:
                raise Forbidden(_("Questions are closed in this room."))
            question = Question(
                **authored_by(actor),
                text=text,
                anonymous=anonymous,
                status=QuestionStatus.pending if room.moderated else QuestionStatus.approved,
                client_id=client_id,
            )
            db.add(question)
            await db.flush()
            entry = append(db, room, kind="question", data=question_entry(question, was_public=False))
            await db.commit()
        return Outcome(answer=_answer(question, actor), messages=fanout([entry]))

    async def answer(question: Question) -> dict[str, object]:
        return _answer(question, actor)

    earlier = _earlier(actor=actor, session_id=session_id, client_id=client_id)
    return await create_once(db, client_id=client_id, earlier=earlier, create=create, answer=answer)


Change = Callable[[Question, LiveRoom], Awaitable[list[Question]]]


async def _moderate(
    db: AsyncSession, *, actor: Participant, session_id: int, question_id: int, change: Change
) -> Outcome:
    """One moderator action on one question: the change, its log entries and the highlight kept right."""
    require(actor, in_room, session_id)
    require(actor, can_moderate)
    async with room_write(db, session_id=session_id) as room:
        question = await _question(db, session_id=session_id, question_id=question_id)
        was_public = {question.id: is_public(question)}
        touched = [question, *await change(question, room)]
        entries: list[RoomLog] = []
        for changed in touched:
            was_public.setdefault(changed.id, is_public(changed))
            db.add(changed)
            entry = question_entry(changed, was_public=was_public[changed.id])
            entries.append(append(db, room, kind="question", data=entry))
        highlighted = room.highlighted_question_id
        if highlighted is not None and any(changed.id == highlighted for changed in touched):
            if not is_public(next(changed for changed in touched if changed.id == highlighted)):
                room.highlighted_question_id = None
            await db.flush()
            entries.append(append(db, room, kind="room", data=await room_entry(db, room)))
        await db.commit()
    return Outcome(answer=_answer(touched[-1], actor), messages=fanout(entries))


async def _question(db: AsyncSession, *, session_id: int, question_id: int) -> Question:
    question = (
        await db.exec(select(Question).where(Question.id == question_id, Question.session_id == session_id))
    ).first()
    if question is None:
        raise NotFound(_("There is no such question in this room."))
    return question


def _not_merged(question: Question) -> None:
    if question.status == QuestionStatus.merged:
        raise Conflict(_("This question was merged into another one."))


async def approve_question(db: AsyncSession, *, actor: Participant, session_id: int, question_id: int) -> Outcome:
    async def change(question: Question, _room: LiveRoom) -> list[Question]:
        _not_merged(question)
        question.status = QuestionStatus.approved
        return []

    return await _moderate(db, actor=actor, session_id=session_id, question_id=question_id, change=change)


async def reject_question(db: AsyncSession, *, actor: Participant, session_id: int, question_id: int) -> Outcome:
    async def change(question: Question, _room: LiveRoom) -> list[Question]:
        _not_merged(question)
        question.status = QuestionStatus.rejected
        return []

    return await _moderate(db, actor=actor, session_id=session_id, question_id=question_id, change=change)


async def edit_question(
    db: AsyncSession, *, actor: Participant, session_id: int, question_id: int, text: str
) -> Outcome:
    """Fix a typo; the text as asked is kept."""
    text = clean_text(text, limit=MAX_QUESTION)

    async def change(question: Question, _room: LiveRoom) -> list[Question]:
        if text != question.text:
            question.original_text = question.original_text or question.text
            question.text = text
        return []

    return await _moderate(db, actor=actor, session_id=session_id, question_id=question_id, change=change)


async def label_question(
    db: AsyncSession, *, actor: Participant, session_id: int, question_id: int, label: str
) -> Outcome:
    label = clean_text(label, limit=MAX_LABEL, minimum=0)

    async def change(question: Question, _room: LiveRoom) -> list[Question]:
        question.label = label
        return []

    return await _moderate(db, actor=actor, session_id=session_id, question_id=question_id, change=change)


async def answer_question(
    db: AsyncSession, *, actor: Participant, session_id: int, question_id: int, answered: bool
) -> Outcome:
    async def change(question: Question, _room: LiveRoom) -> list[Question]:
        question.answered = answered
        return []

    return await _moderate(db, actor=actor, session_id=session_id, question_id=question_id, change=change)


async def archive_question(
    db: AsyncSession, *, actor: Participant, session_id: int, question_id: int, archived: bool
) -> Outcome:
    """Archive (hide from the audience) or restore."""

    async def change(question: Question, _room: LiveRoom) -> list[Question]:
        question.archived = archived
        return []

    return await _moderate(db, actor=actor, session_id=session_id, question_id=question_id, change=change)


async def merge_question(
    db: AsyncSession, *, actor: Participant, session_id: int, question_id: int, into_id: int
) -> Outcome:
    """``question_id`` is a duplicate of ``into_id``: its voters count once for the question kept."""
    if question_id == into_id:
        raise Conflict(_("A question cannot be merged into itself."))

    async def change(question: Question, _room: LiveRoom) -> list[Question]:
        _not_merged(question)
        into = (
            await db.exec(
                select(Question)
                .where(Question.id == into_id, Question.session_id == session_id)
                .with_for_update()
                .execution_options(populate_existing=True)
            )
        ).first()
        if into is None:
            raise NotFound(_("There is no such question in this room."))
        _not_merged(into)
        question.status = QuestionStatus.merged
        question.merged_into_id = into.id
        already = select(QuestionVote.voter_key).where(QuestionVote.question_id == into_id)
        moved = select(
            literal(into_id), QuestionVote.voter_key, QuestionVote.session_id, QuestionVote.created_at
        ).where(QuestionVote.question_id == question_id, col(QuestionVote.voter_key).not_in(already))
        await db.exec(insert(QuestionVote).from_select(["question_id", "voter_key", "session_id", "created_at"], moved))
        total = await db.exec(select(func.count()).select_from(QuestionVote).where(QuestionVote.question_id == into_id))
        into.votes = int(total.one())
        return [into]

    return await _moderate(db, actor=actor, session_id=session_id, question_id=question_id, change=change)


async def highlight_question(
    db: AsyncSession, *, actor: Participant, session_id: int, question_id: int | None
) -> Outcome:
    """Put one published question on the room screen (``None`` clears it): one at a time."""
    require(actor, in_room, session_id)
    require(actor, can_moderate)
    async with room_write(db, session_id=session_id) as room:
        if question_id is not None:
            question = await _question(db, session_id=session_id, question_id=question_id)
            if not is_public(question):
                raise Conflict(_("Only published questions can be highlighted."))
        room.highlighted_question_id = question_id
        data = await room_entry(db, room)
        entry = append(db, room, kind="room", data=data)
        await db.commit()
    return Outcome(answer={"room": room_for(data, _viewer(actor))}, messages=fanout([entry]))
