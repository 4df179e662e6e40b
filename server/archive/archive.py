"""What a session leaves behind once it has ended: its answered questions (text, author as the room showed them,
votes) and its polls' results where the moderators showed them. Its materials stay in the session page's one list
(server/agenda), so they are not repeated here.

Before the end there is nothing to show. After it, the event's delegates and staff see the archive, and everyone
does once the organisers publish it (``SessionArchive.archive_published``); the session's moderators and the
organisers see every question and poll, whatever became of it (server/archive/rules.py).
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server import clock
from server.accounts.actors import Actor
from server.agenda.models import Session
from server.archive.models import SessionArchive
from server.archive.rules import can_see_session_archive
from server.errors import NotFound
from server.events.models import Event
from server.i18n import gettext as _
from server.live.models import Poll, PollOption, PollStatus, Question, QuestionStatus
from server.live.rules import can_moderate
from server.permissions import allows


class Shown(enum.StrEnum):
    """How much of the archive a viewer gets."""

    not_yet = "not_yet"  # the session has not ended: nothing
    restricted = "restricted"  # ended, but the archive is for the event's delegates and staff
    audience = "audience"  # answered questions and published poll results
    everything = "everything"  # a moderator's view: every question and poll, with what became of it


@dataclass(frozen=True, slots=True)
class ArchivedQuestion:
    id: int
    text: str
    author: str  # the name the room showed; "" for a question asked anonymously to the audience
    anonymous: bool  # asked anonymously to the audience (a moderator still sees the name)
    origin: str  # "onsite" or "online"
    country: str
    votes: int
    status: str  # QuestionStatus
    answered: bool
    archived: bool  # hidden from the audience by a moderator

    @property
    def public(self) -> bool:
        """What the audience may see of a session after its end: answered, approved and not hidden."""
        return self.status == QuestionStatus.approved and self.answered and not self.archived


@dataclass(frozen=True, slots=True)
class ArchivedOption:
    text: str
    votes: int
    share: float  # of the poll's voters, 0 to 1 (a multiple choice poll's shares add up to more than 1)


@dataclass(frozen=True, slots=True)
class ArchivedPoll:
    id: int
    question: str
    kind: str  # PollKind
    status: str  # PollStatus
    results_visible: bool  # the moderators showed the results to the room
    voters: int
    options: tuple[ArchivedOption, ...]

    @property
    def public(self) -> bool:
        return self.status != PollStatus.draft and self.results_visible


@dataclass(frozen=True, slots=True)
class Archive:
    shown: Shown
    published: bool  # for everyone (``SessionArchive.archive_published``)
    questions: tuple[ArchivedQuestion, ...] = ()
    polls: tuple[ArchivedPoll, ...] = ()
    withheld: bool = False  # ``restricted``: there is an archive, which this viewer may not see

    @property
    def empty(self) -> bool:
        return not self.questions and not self.polls

    @property
    def shows_anything(self) -> bool:
        """A session that left nothing (a break, a cancelled session, a room without questions) shows nothing."""
        if self.shown == Shown.restricted:
            return self.withheld
        return self.shown != Shown.not_yet and not self.empty


async def session_of(db: AsyncSession, *, event: Event, code: str) -> Session:
    """The session ``code`` of ``event``; another event's session is "not found" like an unknown code."""
    session = (await db.exec(select(Session).where(Session.event_id == event.id, Session.code == code))).first()
    if session is None:
        raise NotFound(_("There is no session '%(code)s' in this event.") % {"code": code})
    return session


async def archive_settings(db: AsyncSession, *, session: Session) -> SessionArchive:
    """The session's row, or the defaults for a session without one (nothing published)."""
    row = await db.get(SessionArchive, session.id)
    return row if row is not None else SessionArchive(session_id=session.id or 0, event_id=session.event_id)


async def opens_delegate_materials(db: AsyncSession, *, session_id: int, now: dt.datetime | None = None) -> bool:
    """Whether a session's materials marked for delegates are open to everyone: once it has ended and the
    organisers have published its archive (the issue's "for delegates and, where published, for everyone")."""
    session = await db.get(Session, session_id)
    if session is None or not has_ended(session, now):
        return False
    settings = await db.get(SessionArchive, session_id)
    return settings is not None and settings.archive_published


def has_ended(session: Session, now: dt.datetime | None = None) -> bool:
    """Read through the module, so a test can move ``server.clock.utcnow``."""
    return (now or clock.utcnow()) >= session.end


def shown_to(actor: Actor, *, session: Session, settings: SessionArchive, now: dt.datetime | None = None) -> Shown:
    """How much of the archive ``actor`` sees; ``actor`` carries its roles in the session (a session's moderator)."""
    if not has_ended(session, now):
        return Shown.not_yet
    if allows(actor, can_moderate):
        return Shown.everything
    if allows(actor, can_see_session_archive, settings):
        return Shown.audience
    return Shown.restricted


async def session_archive(
    db: AsyncSession, *, actor: Actor, session: Session, now: dt.datetime | None = None
) -> Archive:
    """The archive of ``session`` as ``actor`` may see it. The caller has found the session in the actor's event
    (another event's session is "not found" before this is asked)."""
    settings = await archive_settings(db, session=session)
    shown = shown_to(actor, session=session, settings=settings, now=now)
    return await archive_as(db, session=session, shown=shown, published=settings.archive_published)


async def archive_as(db: AsyncSession, *, session: Session, shown: Shown, published: bool) -> Archive:
    """The archive for one kind of viewer: two or three statements, however many questions and polls."""
    if shown == Shown.not_yet:
        return Archive(shown=shown, published=published)
    if shown == Shown.restricted:  # said only where the audience would see something
        audience = await archive_as(db, session=session, shown=Shown.audience, published=published)
        return Archive(shown=shown, published=published, withheld=not audience.empty)
    everything = shown == Shown.everything
    questions = await _questions(db, session_id=session.id or 0, everything=everything)
    polls = await _polls(db, session_id=session.id or 0, everything=everything)
    return Archive(shown=shown, published=published, questions=questions, polls=polls)


async def _questions(db: AsyncSession, *, session_id: int, everything: bool) -> tuple[ArchivedQuestion, ...]:
    query = select(Question).where(Question.session_id == session_id)
    if not everything:  # the filter in SQL too: what the audience may not see is never even read
        query = query.where(
            Question.status == QuestionStatus.approved,
            col(Question.answered).is_(True),
            col(Question.archived).is_(False),
        )
    rows = (await db.exec(query.order_by(col(Question.votes).desc(), col(Question.id)))).all()
    archived = (
        ArchivedQuestion(
            id=row.id or 0,
            text=row.text,
            author="" if row.anonymous and not everything else row.author_name,
            anonymous=row.anonymous,
            origin=row.origin,
            country=row.country,
            votes=row.votes,
            status=row.status,
            answered=row.answered,
            archived=row.archived,
        )
        for row in rows
    )
    return tuple(question for question in archived if everything or question.public)


async def _polls(db: AsyncSession, *, session_id: int, everything: bool) -> tuple[ArchivedPoll, ...]:
    query = select(Poll).where(Poll.session_id == session_id)
    if not everything:
        query = query.where(Poll.status != PollStatus.draft, col(Poll.results_visible).is_(True))
    polls = (await db.exec(query.order_by(col(Poll.created_at), col(Poll.id)))).all()
    if not polls:
        return ()
    options: dict[int, list[PollOption]] = {}
    rows = await db.exec(
        select(PollOption)
        .where(col(PollOption.poll_id).in_([poll.id for poll in polls]))
        .order_by(col(PollOption.poll_id), col(PollOption.position), col(PollOption.id))
    )
    for option in rows.all():
        options.setdefault(option.poll_id, []).append(option)
    archived = (
        ArchivedPoll(
            id=poll.id or 0,
            question=poll.question,
            kind=poll.kind,
            status=poll.status,
            results_visible=poll.results_visible,
            voters=poll.voters,
            options=tuple(
                ArchivedOption(text=option.text, votes=option.votes, share=_share(option.votes, poll.voters))
                for option in options.get(poll.id or 0, [])
            ),
        )
        for poll in polls
    )
    return tuple(poll for poll in archived if everything or poll.public)


def _share(votes: int, voters: int) -> float:
    return votes / voters if voters else 0.0
