"""The busy counters of a room, read fresh from the database (the latest commit, outside any transaction):
votes, poll results, people checked in."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.db import read_latest
from server.live.models import Poll, PollOption, PollStatus, Question, QuestionStatus
from server.registration.models import Attendance, ChoiceStatus, Registration, RegistrationStatus, SessionChoice

# Built once: every join and every coalesced update runs these (see server.db.read_latest).
_ALL_VOTES = select(Question.id, Question.votes).where(Question.session_id == bindparam("session_id"))
_PUBLIC_VOTES = _ALL_VOTES.where(Question.status == QuestionStatus.approved, col(Question.archived).is_(False))
_VOTES_OF = _ALL_VOTES.where(col(Question.id).in_(bindparam("ids", expanding=True)))
_POLLS = select(Poll.id, Poll.results_visible, Poll.voters).where(Poll.session_id == bindparam("session_id"))
_OPEN_POLLS = _POLLS.where(Poll.status == PollStatus.open)
_POLLS_OF = _POLLS.where(col(Poll.id).in_(bindparam("ids", expanding=True)))
_OPTIONS_OF = select(PollOption.poll_id, PollOption.id, PollOption.votes).where(
    col(PollOption.poll_id).in_(bindparam("polls", expanding=True))
)


async def vote_counts(
    db: AsyncSession, *, session_id: int, question_ids: Iterable[int] | None = None, moderator: bool = False
) -> dict[str, int]:
    """Votes by question id: the given questions, or every question of the room the viewer may see."""
    params: dict[str, Any] = {"session_id": session_id}
    if question_ids is not None:
        statement, params["ids"] = _VOTES_OF, list(question_ids)
    else:
        statement = _ALL_VOTES if moderator else _PUBLIC_VOTES
    return {str(question_id): votes for question_id, votes in await read_latest(db, statement, params)}


@dataclass(frozen=True)
class PollResult:
    poll_id: int
    results_visible: bool
    options: dict[str, int]
    voters: int  # people who voted: more than any option's votes, fewer than their sum in multiple choice


async def poll_results(db: AsyncSession, *, session_id: int, poll_ids: Iterable[int] | None = None) -> list[PollResult]:
    """Option counts of the given polls, or of the room's open polls."""
    params: dict[str, Any] = {"session_id": session_id}
    if poll_ids is not None:
        statement, params["ids"] = _POLLS_OF, list(poll_ids)
    else:
        statement = _OPEN_POLLS
    found = {poll_id or 0: (visible, voters) for poll_id, visible, voters in await read_latest(db, statement, params)}
    if not found:
        return []
    options = await read_latest(db, _OPTIONS_OF, {"polls": list(found)})
    counts: dict[int, dict[str, int]] = {poll_id: {} for poll_id in found}
    for poll_id, option_id, votes in options:
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
    return int((await read_latest(db, statement))[0][0])
