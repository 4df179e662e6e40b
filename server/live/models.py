"""Live rooms: one per session, with its event log, questions, votes, chat, mutes, polls; announcements."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from server.clock import utcnow


class OnlineEntry(enum.StrEnum):
    """Who may enter a room online: anyone registered for the event, or only for that session."""

    event = "event"
    session = "session"


class ChatMode(enum.StrEnum):
    """A room's chat: open, closed, or open with every message held until a moderator approves it."""

    on = "on"
    off = "off"
    reviewed = "reviewed"


class ParticipantListAccess(enum.StrEnum):
    """Who may see the event's participant list, besides its staff."""

    staff = "staff"  # organisers, moderators and check-in staff only
    delegates = "delegates"  # and people registered for the event
    listed = "listed"  # and everyone on the event's lists: registered people and speakers


class ChatStatus(enum.StrEnum):
    shown = "shown"
    held = "held"  # waiting for a moderator, in a room whose chat is reviewed
    rejected = "rejected"


class QuestionStatus(enum.StrEnum):
    pending = "pending"
    approved = "approved"
    rejected = "rejected"
    merged = "merged"


class PollKind(enum.StrEnum):
    single = "single"
    multiple = "multiple"


class PollStatus(enum.StrEnum):
    draft = "draft"
    open = "open"
    closed = "closed"


class LiveSettings(SQLModel, table=True):
    """An event's rules for its live rooms; an event without a row gets the defaults."""

    event_id: int = Field(foreign_key="event.id", primary_key=True, ondelete="CASCADE")
    anonymous_guests: bool = Field(default=False)
    online_entry: str = Field(default=OnlineEntry.event, max_length=10)
    moderated: bool = Field(default=False)  # rooms review questions before showing them
    chat: str = Field(default=ChatMode.on, max_length=10)
    participants: str = Field(default=ParticipantListAccess.listed, max_length=10)
    # Who may watch published replays: "delegates" or "everyone" (server/archive/models.py ``ReplayAudience``).
    replay_audience: str = Field(default="delegates", max_length=10)
    version: int = Field(default=1)  # optimistic concurrency: a save carrying an older version is refused


class SessionLiveSettings(SQLModel, table=True):
    """One session's own live settings; a field left None inherits the event's."""

    session_id: int = Field(foreign_key="session.id", primary_key=True, ondelete="CASCADE")
    event_id: int = Field(foreign_key="event.id", index=True, ondelete="CASCADE")
    anonymous_guests: bool | None = None
    online_entry: str | None = Field(default=None, max_length=10)
    moderated: bool | None = None
    chat: str | None = Field(default=None, max_length=10)
    version: int = Field(default=1)


class LiveRoom(SQLModel, table=True):
    """A session's live room. ``seq`` is the room's event counter: each change bumps it in its own transaction."""

    session_id: int = Field(foreign_key="session.id", primary_key=True, ondelete="CASCADE")
    event_id: int = Field(foreign_key="event.id", index=True, ondelete="CASCADE")
    seq: int = Field(default=0)
    moderated: bool = Field(default=False)
    qa_open: bool = Field(default=True)
    chat_open: bool = Field(default=True)
    chat_reviewed: bool = Field(default=False)  # messages wait for a moderator before others see them
    highlighted_question_id: int | None = Field(default=None)


class RoomLog(SQLModel, table=True):
    """Every change of a room, numbered; the source of resync. ``data`` is JSON of what changed, as
    moderators see it; what others see is derived from it."""

    __table_args__ = (UniqueConstraint("session_id", "seq"),)

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="session.id", ondelete="CASCADE")
    seq: int
    kind: str = Field(max_length=30)
    data: str = Field(sa_column=Column(Text, nullable=False))
    created_at: dt.datetime = Field(default_factory=utcnow)


class ViewerSample(SQLModel, table=True):
    """A live room's headcount once a minute while anyone is in it, for the dashboard's viewers over time. Written
    by the live server's counts loop from the headcount it already keeps; each process may write the same minute,
    the first one stays."""

    __table_args__ = (UniqueConstraint("session_id", "minute"),)

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="session.id", ondelete="CASCADE")
    minute: dt.datetime  # UTC, seconds cut off
    connected: int  # people in the room (on site and online)
    online: int


class AuthoredInRoom(SQLModel):
    """Who wrote a row of a room (a question, a chat message) and from where; ``authors.authored_by`` fills it."""

    event_id: int = Field(foreign_key="event.id", index=True, ondelete="CASCADE")
    session_id: int = Field(foreign_key="session.id", ondelete="CASCADE")
    # "a<account id>" or "g<guest id>": who wrote it, for votes, mutes and "mine".
    author_key: str = Field(max_length=40)
    account_id: int | None = Field(default=None, foreign_key="account.id", ondelete="SET NULL")
    author_name: str = Field(default="", max_length=200)
    origin: str = Field(max_length=10)
    country: str = Field(default="", max_length=2)


class Question(AuthoredInRoom, table=True):
    __table_args__ = (
        UniqueConstraint("session_id", "author_key", "client_id"),
        Index("ix_question_session_status", "session_id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    text: str = Field(max_length=500)
    original_text: str = Field(default="", max_length=500)  # as asked, when a moderator fixed it
    anonymous: bool = Field(default=False)
    status: str = Field(default=QuestionStatus.pending, max_length=10)
    answered: bool = Field(default=False)
    archived: bool = Field(default=False)
    label: str = Field(default="", max_length=40)
    merged_into_id: int | None = Field(default=None, foreign_key="question.id", ondelete="SET NULL")
    votes: int = Field(default=0)
    client_id: str = Field(max_length=64)
    created_at: dt.datetime = Field(default_factory=utcnow)


class QuestionVote(SQLModel, table=True):
    """One upvote; the primary key makes a second one by the same person impossible."""

    __table_args__ = (Index("ix_questionvote_session_voter", "session_id", "voter_key"),)

    question_id: int = Field(foreign_key="question.id", primary_key=True, ondelete="CASCADE")
    voter_key: str = Field(max_length=40, primary_key=True)
    session_id: int = Field(foreign_key="session.id", ondelete="CASCADE")
    created_at: dt.datetime = Field(default_factory=utcnow)


class ChatMessage(AuthoredInRoom, table=True):
    __table_args__ = (
        UniqueConstraint("session_id", "author_key", "client_id"),
        Index("ix_chatmessage_session_id_id", "session_id", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    text: str = Field(max_length=1000)
    client_id: str = Field(max_length=64)
    status: str = Field(default=ChatStatus.shown, max_length=10)
    created_at: dt.datetime = Field(default_factory=utcnow)
    deleted_at: dt.datetime | None = None
    deleted_by: int | None = Field(default=None, foreign_key="account.id", ondelete="SET NULL")


class Mute(SQLModel, table=True):
    """A participant who may not chat in one room."""

    __table_args__ = (UniqueConstraint("session_id", "participant_key"),)

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="session.id", ondelete="CASCADE")
    participant_key: str = Field(max_length=40)
    muted_by: int | None = Field(default=None, foreign_key="account.id", ondelete="SET NULL")
    created_at: dt.datetime = Field(default_factory=utcnow)


class Poll(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("session_id", "created_by", "client_id"),)

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", index=True, ondelete="CASCADE")
    session_id: int = Field(foreign_key="session.id", index=True, ondelete="CASCADE")
    question: str = Field(max_length=300)
    kind: str = Field(max_length=10)
    status: str = Field(default=PollStatus.draft, max_length=10)
    results_visible: bool = Field(default=False)
    voters: int = Field(default=0)
    created_by: str = Field(max_length=40)
    client_id: str = Field(max_length=64)
    created_at: dt.datetime = Field(default_factory=utcnow)


class PollOption(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    poll_id: int = Field(foreign_key="poll.id", index=True, ondelete="CASCADE")
    position: int = Field(default=0)
    text: str = Field(max_length=200)
    votes: int = Field(default=0)


class PollVote(SQLModel, table=True):
    """One chosen option of one voter; a voter's ballot is all their rows of the poll."""

    poll_id: int = Field(foreign_key="poll.id", primary_key=True, ondelete="CASCADE")
    voter_key: str = Field(max_length=40, primary_key=True)
    option_id: int = Field(foreign_key="polloption.id", primary_key=True, ondelete="CASCADE")


class Announcement(SQLModel, table=True):
    """From the organisers to every live room of the event."""

    __table_args__ = (UniqueConstraint("event_id", "author_key", "client_id"),)

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", index=True, ondelete="CASCADE")
    author_key: str = Field(max_length=40)
    text: str = Field(max_length=1000)
    client_id: str = Field(max_length=64)
    created_at: dt.datetime = Field(default_factory=utcnow)
    removed_at: dt.datetime | None = None


class HallCode(SQLModel, table=True):
    """A session's short code for people in the hall (the room screen's ``#code`` and ``/j/CODE``): made once,
    kept for as long as the session lives, so the screen, a slide or a printed sign can carry it."""

    code: str = Field(primary_key=True, max_length=8)
    session_id: int = Field(foreign_key="session.id", unique=True, ondelete="CASCADE")
    event_id: int = Field(foreign_key="event.id", index=True, ondelete="CASCADE")
    created_at: dt.datetime = Field(default_factory=utcnow)
