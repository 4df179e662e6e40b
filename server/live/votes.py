"""Upvotes on questions. A vote sets a state (voted or not), so repeating one changes nothing. Votes
that arrive together are written in one transaction (see ``GroupCommit``): a storm of votes costs a
few commits, not one per click, and each is still acknowledged only after its commit."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from sqlmodel import col, delete, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from server.broadcast import CountsChanged, Outcome
from server.db import begin_write
from server.errors import Conflict, NotFound, PodiumError
from server.i18n import gettext as _
from server.live.access import Participant
from server.live.models import Question, QuestionVote
from server.live.views import is_public


@dataclass(frozen=True)
class Ballot:
    actor: Participant
    session_id: int
    question_id: int
    vote: bool


async def vote_questions(db: AsyncSession, *, ballots: Sequence[Ballot]) -> list[Outcome | PodiumError]:
    """Applies ``ballots`` in order in one transaction; each gets its outcome or its own error."""
    results: list[Outcome | PodiumError | None] = [None] * len(ballots)
    for index, ballot in enumerate(ballots):
        if ballot.actor.session_id != ballot.session_id:
            results[index] = NotFound(_("There is no such session."))
    question_ids = sorted({ballot.question_id for ballot in ballots})
    voters = sorted({ballot.actor.key for ballot in ballots})
    await begin_write(db)
    try:
        # Locked in id order: concurrent batches (other processes) wait for each other, never deadlock.
        locked = await db.exec(
            select(Question)
            .where(col(Question.id).in_(question_ids))
            .order_by(col(Question.id))
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        questions = {question.id: question for question in locked.all()}
        existing = await db.exec(
            select(QuestionVote.question_id, QuestionVote.voter_key).where(
                col(QuestionVote.question_id).in_(question_ids), col(QuestionVote.voter_key).in_(voters)
            )
        )
        before = set(existing.all())
        state = dict.fromkeys(before, True)
        for index, ballot in enumerate(ballots):
            if results[index] is None:
                problem = _refusal(questions.get(ballot.question_id), ballot)
                if problem is not None:
                    results[index] = problem
                else:
                    state[(ballot.question_id, ballot.actor.key)] = ballot.vote
        votes = await _write(db, ballots, questions, before=before, state=state)
        await db.commit()
    except BaseException:
        await db.rollback()
        raise
    answered: list[Outcome | PodiumError] = []
    for ballot, result in zip(ballots, results, strict=True):
        if result is not None:
            answered.append(result)
            continue
        question_id = ballot.question_id
        answer = {"question": question_id, "votes": votes[question_id], "voted": ballot.vote}
        counts = [CountsChanged(session_id=ballot.session_id, questions=frozenset({question_id}))]
        answered.append(Outcome(answer=answer, counts=counts))
    return answered


def _refusal(question: Question | None, ballot: Ballot) -> PodiumError | None:
    if question is None or question.session_id != ballot.session_id:
        return NotFound(_("There is no such question in this room."))
    if is_public(question):
        return None
    if ballot.actor.can_moderate or question.author_key == ballot.actor.key:
        return Conflict(_("Only published questions can be voted on."))
    return NotFound(_("There is no such question in this room."))


async def _write(
    db: AsyncSession,
    ballots: Sequence[Ballot],
    questions: dict[int | None, Question],
    *,
    before: set[tuple[int, str]],
    state: dict[tuple[int, str], bool],
) -> dict[int, int]:
    """Stores the new state; returns every touched question's vote count after it."""
    added = [pair for pair, voted in state.items() if voted and pair not in before]
    removed = [pair for pair, voted in state.items() if not voted and pair in before]
    sessions = {ballot.question_id: ballot.session_id for ballot in ballots}
    db.add_all(QuestionVote(question_id=q, voter_key=key, session_id=sessions[q]) for q, key in added)
    await db.flush()
    delta: dict[int, int] = {}
    for question_id, _key in added:
        delta[question_id] = delta.get(question_id, 0) + 1
    for question_id, key in removed:
        await db.exec(
            delete(QuestionVote).where(col(QuestionVote.question_id) == question_id, col(QuestionVote.voter_key) == key)
        )
        delta[question_id] = delta.get(question_id, 0) - 1
    votes = {question_id: question.votes for question_id, question in questions.items() if question_id is not None}
    for question_id, change in sorted(delta.items()):
        if change:
            result = await db.exec(
                update(Question)
                .where(col(Question.id) == question_id)
                .values(votes=col(Question.votes) + change)
                .returning(col(Question.votes))
            )
            votes[question_id] = int(result.scalar_one())
    return votes


Item = TypeVar("Item")
Result = TypeVar("Result")


class GroupCommit(Generic[Item, Result]):
    """Requests that arrive while a batch is being committed wait, and go together in the next one.
    Under no load a request is written at once; under load the batches grow by themselves."""

    def __init__(
        self, run: Callable[[list[Item]], Awaitable[Sequence[Result | PodiumError]]], *, max_batch: int = 500
    ) -> None:
        self.run = run
        self.max_batch = max_batch
        self._pending: list[tuple[Item, asyncio.Future[Result]]] = []
        self._draining: asyncio.Task[None] | None = None

    async def submit(self, item: Item) -> Result:
        future: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        self._pending.append((item, future))
        if self._draining is None:
            self._draining = asyncio.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        try:
            while self._pending:
                batch, self._pending = self._pending[: self.max_batch], self._pending[self.max_batch :]
                try:
                    results = await self.run([item for item, _future in batch])
                except Exception as failure:  # the whole transaction failed: nothing was written
                    for _item, future in batch:
                        if not future.done():
                            future.set_exception(failure)
                    continue
                for (_item, future), result in zip(batch, results, strict=True):
                    if future.done():
                        continue
                    if isinstance(result, PodiumError):
                        future.set_exception(result)
                    else:
                        future.set_result(result)
        finally:
            self._draining = None
