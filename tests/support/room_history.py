"""A session's room after the session, made through the live rooms' own services (ask, vote, answer, reject,
archive, polls) as a moderator and two delegates would in the room: what the archive tests read back."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlmodel.ext.asyncio.session import AsyncSession

from server.accounts.models import Role
from server.agenda.models import Session
from server.db import Database
from server.live import polls, questions
from server.live.access import Participant
from server.live.votes import Ballot, vote_questions
from tests.support.factories import Person
from tests.support.world import World

ANSWERED = "How will the recommendations reach the ministers?"
ANSWERED_ANONYMOUSLY = "What did the last dialogue change?"
HOSTILE = "<script>alert('archive')</script> & <b>bold</b>"
UNANSWERED = "Will there be a next dialogue in Jakarta?"
REJECTED = "Off-topic remark"
HIDDEN = "Answered, then hidden by a moderator"
SHOWN_POLL = "Should the forum meet every year?"
HIDDEN_POLL = "Which venue do you prefer?"
DRAFT_POLL = "A poll never opened"


@dataclass(frozen=True)
class Room:
    """The session's room after the session, made through the room's services."""

    session: Session
    moderator: Participant


def in_room(person: Person, session: Session, *, roles: frozenset[Role], name: str, country: str) -> Participant:
    return Participant(
        key=person.key,
        name=name,
        kind="account",
        account=person.account,
        event_id=session.event_id,
        session_id=session.id or 0,
        origin="online",
        country=country,
        roles=roles,
    )


async def ask(db: AsyncSession, actor: Participant, session: Session, text: str, *, anonymous: bool = False) -> int:
    outcome = await questions.ask_question(
        db, actor=actor, session_id=session.id or 0, text=text, anonymous=anonymous, client_id=uuid.uuid4().hex
    )
    return int(outcome.answer["question"]["id"])


async def poll(
    db: AsyncSession, moderator: Participant, session: Session, text: str, *, opened: bool, shown: bool
) -> list[int]:
    sid = session.id or 0
    created = await polls.create_poll(
        db,
        actor=moderator,
        session_id=sid,
        question=text,
        kind="single",
        options=["Yes", "No"],
        client_id=uuid.uuid4().hex,
    )
    poll_id = int(created.answer["poll"]["id"])
    if opened:
        await polls.open_poll(db, actor=moderator, session_id=sid, poll_id=poll_id)
        await polls.close_poll(db, actor=moderator, session_id=sid, poll_id=poll_id)
    if shown:
        await polls.show_results(db, actor=moderator, session_id=sid, poll_id=poll_id, visible=True)
    return [poll_id, *(option["id"] for option in created.answer["poll"]["options"])]


async def build_room(database: Database, world: World) -> Room:
    session = world.session
    sid = session.id or 0
    moderator = in_room(world.moderator, session, roles=frozenset({Role.moderator}), name="Chair Person", country="")
    ayu = in_room(world.delegate, session, roles=frozenset({Role.delegate}), name="Ayu Online", country="ID")
    bima = in_room(world.onsite, session, roles=frozenset({Role.delegate}), name="Bima Onsite", country="MY")
    async with database.session() as db:
        answered = await ask(db, ayu, session, ANSWERED)
        anonymous = await ask(db, bima, session, ANSWERED_ANONYMOUSLY, anonymous=True)
        hostile = await ask(db, ayu, session, HOSTILE)
        unanswered = await ask(db, bima, session, UNANSWERED)
        rejected = await ask(db, ayu, session, REJECTED)
        hidden = await ask(db, bima, session, HIDDEN)
        await vote_questions(
            db,
            ballots=[
                Ballot(actor=bima, session_id=sid, question_id=answered, vote=True),
                Ballot(actor=moderator, session_id=sid, question_id=answered, vote=True),
                Ballot(actor=ayu, session_id=sid, question_id=anonymous, vote=True),
            ],
        )
        for question_id in (answered, anonymous, hostile, hidden):
            await questions.answer_question(db, actor=moderator, session_id=sid, question_id=question_id, answered=True)
        await questions.reject_question(db, actor=moderator, session_id=sid, question_id=rejected)
        await questions.archive_question(db, actor=moderator, session_id=sid, question_id=hidden, archived=True)
        assert unanswered
        shown_poll, yes, _no = await poll(db, moderator, session, SHOWN_POLL, opened=True, shown=False)
        # Three delegates vote before the poll closes: two yes, one no.
        await polls.open_poll(db, actor=moderator, session_id=sid, poll_id=shown_poll)
        await polls.vote_poll(db, actor=ayu, session_id=sid, poll_id=shown_poll, option_ids=[yes])
        await polls.vote_poll(db, actor=bima, session_id=sid, poll_id=shown_poll, option_ids=[yes])
        await polls.vote_poll(db, actor=moderator, session_id=sid, poll_id=shown_poll, option_ids=[_no])
        await polls.close_poll(db, actor=moderator, session_id=sid, poll_id=shown_poll)
        await polls.show_results(db, actor=moderator, session_id=sid, poll_id=shown_poll, visible=True)
        await poll(db, moderator, session, HIDDEN_POLL, opened=True, shown=False)
        await poll(db, moderator, session, DRAFT_POLL, opened=False, shown=False)
    return Room(session=session, moderator=moderator)
