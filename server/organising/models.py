"""The tables of running an event from the back office: the programme editor's working copy and the releases
that make it public, integrations' API tokens, schedule files waiting between their preview and "Apply",
and invitations to the staff (a role offered to an address, granted when its link is accepted).

``Session`` rows are what the public sees. An organiser's edits go to a ``SessionDraft`` (one per session with
unreleased changes, per new session, or per cancellation) until a ``ProgrammeRelease`` applies every draft at once.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from server.clock import utcnow


class TokenScope(enum.StrEnum):
    read = "read"
    read_write = "read-write"


class ApiToken(SQLModel, table=True):
    """A per-event key for an integration. Only the token's hash is stored; it is shown once, when made."""

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=100)
    scope: str = Field(max_length=16)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    created_by: int | None = Field(default=None, foreign_key="account.id", ondelete="SET NULL")
    created_at: dt.datetime = Field(default_factory=utcnow)
    expires_at: dt.datetime | None = None
    revoked_at: dt.datetime | None = None
    last_used_at: dt.datetime | None = None


class PendingImport(SQLModel, table=True):
    """An uploaded schedule file between its preview and "Apply" (or being dropped after a day). ``event_id`` is
    empty for an import that creates a new event."""

    id: int | None = Field(default=None, primary_key=True)
    event_id: int | None = Field(default=None, foreign_key="event.id", index=True, ondelete="CASCADE")
    account_id: int = Field(foreign_key="account.id", index=True, ondelete="CASCADE")
    filename: str = Field(default="", max_length=200)
    text: str
    created_at: dt.datetime = Field(default_factory=utcnow)


class SessionDraft(SQLModel, table=True):
    """The full proposed values of one session, as the editor shows them until the next release."""

    __table_args__ = (UniqueConstraint("event_id", "code"),)

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", index=True, ondelete="CASCADE")
    # None for a session that is new in this draft.
    session_id: int | None = Field(default=None, foreign_key="session.id", unique=True, ondelete="CASCADE")
    code: str = Field(max_length=64)
    title: str = Field(max_length=300)
    abstract: str = Field(default="")
    kind: str = Field(max_length=20)
    start: dt.datetime
    end: dt.datetime
    room_id: int = Field(foreign_key="room.id", ondelete="CASCADE")
    track_id: int | None = Field(default=None, foreign_key="track.id", ondelete="SET NULL")
    language: str = Field(default="en", max_length=16)
    capacity: int | None = Field(default=None, ge=0)
    cancelled: bool = Field(default=False)
    speaker_ids: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    translations: dict[str, dict[str, str]] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # The edit version of a new session (an existing one's is ``Session.version``).
    version: int = Field(default=1)
    updated_at: dt.datetime = Field(default_factory=utcnow)


class ProgrammeRelease(SQLModel, table=True):
    """A release of the programme: its number (the frab export's version) and what changed."""

    __table_args__ = (UniqueConstraint("event_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", index=True, ondelete="CASCADE")
    number: int
    released_at: dt.datetime = Field(default_factory=utcnow)
    account_id: int | None = Field(default=None, foreign_key="account.id", ondelete="SET NULL")
    released_by: str = Field(default="", max_length=254)
    changes: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    mails: int = Field(default=0)


class StaffInvitation(SQLModel, table=True):
    """Only the token's hash is stored. ``session_id`` scopes a moderator to one session; ``person_id`` is the
    agenda speaker a speaker's invitation links the account to."""

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", index=True, ondelete="CASCADE")
    email: str = Field(max_length=254)
    role: str = Field(max_length=20)
    session_id: int | None = Field(default=None, foreign_key="session.id", ondelete="CASCADE")
    person_id: int | None = Field(default=None, foreign_key="person.id", ondelete="CASCADE")
    token_hash: str = Field(max_length=64, unique=True)
    invited_by: int | None = Field(default=None, foreign_key="account.id", ondelete="SET NULL")
    created_at: dt.datetime = Field(default_factory=utcnow)
    expires_at: dt.datetime
    accepted_at: dt.datetime | None = None
    cancelled_at: dt.datetime | None = None
