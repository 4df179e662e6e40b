"""The busy counters of a room, read fresh from the database: votes, poll results, people checked in."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.live.models import Poll, PollOption, PollStatus, Question, QuestionStatus
from server.registration.models import Attendance, ChoiceStatus, Registration, RegistrationStatus, SessionChoice


async def vote_counts(
    db: AsyncSession, *, session_id: int, question_ids: Iterable[int] | None = None, moderator: bool = False
) -> dict[str, int]:
    """Votes by question id: the given questions, or every question of the room the viewer may see."""
    statement = select(Question.id, Question.votes).where(Question.session_id == session_id)
    if question_ids is not None:
        statement = statement.where(col(Question.id).in_(list(question_ids)))
    elif not moderator:
        statement = statement.where(Question.status == QuestionStatus.approved, col(Question.archived).is_(False))
    return {str(question_id): votes for question_id, votes in (await db.exec(statement)).all()}


@dataclass(frozen=True)
class PollResult:
    poll_id: int
    results_visible: bool
    options: dict[str, int]
    voters: int  # people who voted: more than any option's votes, fewer than their sum in multiple choice


async def poll_results(db: AsyncSession, *, session_id: int, poll_ids: Iterable[int] | None = None) -> list[PollResult]:
    """Option counts of the given polls, or of the room's open polls."""
    polls = select(Poll.id, Poll.results_visible, Poll.voters).where(Poll.session_id == session_id)
    if poll_ids is not None:
        polls = polls.where(col(Poll.id).in_(list(poll_ids)))
    else:
        polls = polls.where(Poll.status == PollStatus.open)
    found = {poll_id or 0: (visible, voters) for poll_id, visible, voters in (await db.exec(polls)).all()}
    if not found:
        return []
    options = await db.exec(
        select(PollOption.poll_id, PollOption.id, PollOption.votes).where(col(PollOption.poll_id).in_(list(found)))
    )
    counts: dict[int, dict[str, int]] = {poll_id: {} for poll_id in found}
    for poll_id, option_id, votes in options.all():
        counts[poll_id][str(option_id)] = votes
    return [
        PollResult(poll_id=poll_id, results_visible=visible, options=counts[poll_id], voters=voters)
        for poll_id, (visible, voters) in found.items()
    ]


def poll_counts(results: list[PollResult], *, moderator: bool) -> dict[str, dict[str, Any]]:
    """The ``polls`` (votes by option) and ``poll_voters`` fields of ``counts`` for one audience."""
    shown = [result for result in results if moderator or result.results_visible]
    return {
        "polls": {str(result.poll_id): result.options for result in shown},
        "poll_voters": {str(result.poll_id): result.voters for result in shown},
    }


async def onsite_count(db: AsyncSession, *, session_id: int) -> int:
    """People checked in on site who have this session in their programme."""
    statement = (
        select(func.count())
        .select_from(SessionChoice)
        .join(Registration, col(Registration.id) == col(SessionChoice.registration_id))
        .where(
            SessionChoice.session_id == session_id,
            SessionChoice.attendance == Attendance.onsite,
            SessionChoice.status == ChoiceStatus.confirmed,
            Registration.status == RegistrationStatus.confirmed,
            col(Registration.checked_in_at).is_not(None),
        )
    )
    return int((await db.exec(statement)).one())
