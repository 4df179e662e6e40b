"""Guests in the hall: who they are on their phone, and what becomes of what they did when they sign in.

A guest is remembered by a long-lived, signed, HttpOnly cookie (their "guest card": a random id and an
optional display name), so their questions and votes stay theirs when they come back. When a remembered
guest signs in, their questions and votes become the account's; a vote both cast counts once."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeSerializer
from sqlmodel import col, delete, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from server.broadcast import CountsChanged, Message, Outcome
from server.errors import InvalidInput
from server.i18n import gettext as _
from server.live.access import MAX_TOKEN_LENGTH
from server.live.inputs import clean_text
from server.live.models import Poll, PollOption, PollVote, Question, QuestionVote
from server.live.room_log import append, fanout, question_entry, room_write
from server.live.views import is_public

GUEST_COOKIE = "podium_guest"
GUEST_CARD_SALT = "podium-hall-guest"  # noqa: S105 (a salt, not a secret)
GUEST_COOKIE_MAX_AGE = 400 * 24 * 60 * 60  # the longest browsers keep a cookie
MAX_GUEST_NAME = 60


@dataclass(frozen=True, slots=True)
class GuestCard:
    """What a guest's phone shows the server: their id (``g<id>`` is their participant key) and their name."""

    guest_id: str
    name: str = ""

    @property
    def key(self) -> str:
        return f"g{self.guest_id}"


def new_guest(name: str = "") -> GuestCard:
    return GuestCard(guest_id=uuid.uuid4().hex, name=name)


def guest_name(typed: str) -> str:
    """A guest's optional display name: empty, or trimmed text of at most ``MAX_GUEST_NAME`` characters."""
    if not typed.strip():
        return ""
    if "\x00" in typed:
        raise InvalidInput(_("Your name cannot contain a NUL character."))
    return clean_text(typed, limit=MAX_GUEST_NAME)


def guest_card(secret: str, card: GuestCard) -> str:
    return str(URLSafeSerializer(secret, salt=GUEST_CARD_SALT).dumps({"g": card.guest_id, "n": card.name}))


def read_guest_card(secret: str, value: str) -> GuestCard | None:
    """The card a cookie carries; None when it is missing, forged or malformed."""
    if not value or len(value) > MAX_TOKEN_LENGTH:
        return None
    try:
        data = URLSafeSerializer(secret, salt=GUEST_CARD_SALT).loads(value)
    except BadSignature:
        return None
    if not isinstance(data, dict):
        return None
    guest_id, name = data.get("g"), data.get("n", "")
    if not (isinstance(guest_id, str) and len(guest_id) == 32 and guest_id.isalnum() and isinstance(name, str)):
        return None
    return GuestCard(guest_id=guest_id, name=name[:MAX_GUEST_NAME])


async def _rooms_of(db: AsyncSession, key: str) -> list[int]:
    asked = await db.exec(select(Question.session_id).where(Question.author_key == key).distinct())
    voted = await db.exec(select(QuestionVote.session_id).where(QuestionVote.voter_key == key).distinct())
    polled = await db.exec(
        select(Poll.session_id).join(PollVote, col(PollVote.poll_id) == col(Poll.id)).where(PollVote.voter_key == key)
    )
    return sorted({*asked.all(), *voted.all(), *polled.all()})


async def adopt_guest(db: AsyncSession, *, account_id: int, guest: GuestCard) -> Outcome:
    """Makes what ``guest`` asked and voted the account's, room by room (each in one transaction with its
    ``seq``, so every process's kept room state and every open page learn who asked). A question both voted
    for keeps one vote; a poll both answered keeps the account's ballot."""
    guest_key, account_key = guest.key, f"a{account_id}"
    messages: list[Message] = []
    counts: list[CountsChanged] = []
    adopted = 0
    for session_id in await _rooms_of(db, guest_key):
        await db.rollback()
        async with room_write(db, session_id=session_id) as room:
            questions = (
                await db.exec(
                    select(Question).where(Question.session_id == session_id, Question.author_key == guest_key)
                )
            ).all()
            entries = []
            for question in questions:
                question.author_key, question.account_id = account_key, account_id
                db.add(question)
                entries.append(
                    append(db, room, kind="question", data=question_entry(question, was_public=is_public(question)))
                )
            twice = await _merge_question_votes(db, session_id=session_id, guest_key=guest_key, account_key=account_key)
            polls = await _merge_ballots(db, session_id=session_id, guest_key=guest_key, account_key=account_key)
            await db.commit()
        adopted += len(questions)
        messages += fanout(entries)
        if twice or polls:
            counts.append(CountsChanged(session_id=session_id, questions=frozenset(twice), polls=frozenset(polls)))
    return Outcome(answer={"questions": adopted}, messages=messages, counts=counts)


async def _merge_question_votes(db: AsyncSession, *, session_id: int, guest_key: str, account_key: str) -> set[int]:
    """Re-keys the guest's votes; where the account voted too, drops the guest's and counts one. Returns the
    questions whose count changed."""
    mine = select(QuestionVote.question_id).where(
        QuestionVote.session_id == session_id, QuestionVote.voter_key == account_key
    )
    both = set(
        (
            await db.exec(
                select(QuestionVote.question_id).where(
                    QuestionVote.session_id == session_id,
                    QuestionVote.voter_key == guest_key,
                    col(QuestionVote.question_id).in_(mine),
                )
            )
        ).all()
    )
    if both:
        await db.exec(
            delete(QuestionVote).where(
                col(QuestionVote.voter_key) == guest_key, col(QuestionVote.question_id).in_(sorted(both))
            )
        )
        await db.exec(update(Question).where(col(Question.id).in_(sorted(both))).values(votes=col(Question.votes) - 1))
    await db.exec(
        update(QuestionVote)
        .where(col(QuestionVote.session_id) == session_id, col(QuestionVote.voter_key) == guest_key)
        .values(voter_key=account_key)
    )
    return both


async def _merge_ballots(db: AsyncSession, *, session_id: int, guest_key: str, account_key: str) -> set[int]:
    """Re-keys the guest's poll ballots; where the account answered the poll too, the guest's ballot goes."""
    rows = (
        await db.exec(
            select(PollVote)
            .join(Poll, col(Poll.id) == col(PollVote.poll_id))
            .where(Poll.session_id == session_id, PollVote.voter_key == guest_key)
        )
    ).all()
    polls = {row.poll_id for row in rows}
    answered = set(
        (
            await db.exec(
                select(PollVote.poll_id).where(
                    col(PollVote.poll_id).in_(sorted(polls)), PollVote.voter_key == account_key
                )
            )
        ).all()
    )
    for poll_id in sorted(polls):
        ballot = [row for row in rows if row.poll_id == poll_id]
        await db.exec(delete(PollVote).where(col(PollVote.poll_id) == poll_id, col(PollVote.voter_key) == guest_key))
        if poll_id in answered:
            options = sorted(row.option_id for row in ballot)
            await db.exec(
                update(PollOption).where(col(PollOption.id).in_(options)).values(votes=col(PollOption.votes) - 1)
            )
            await db.exec(update(Poll).where(col(Poll.id) == poll_id).values(voters=col(Poll.voters) - 1))
        else:
            db.add_all(PollVote(poll_id=poll_id, voter_key=account_key, option_id=row.option_id) for row in ballot)
    return answered
