"""Invitations to an event's staff: a role offered to an email address, granted when its link is accepted."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Field, SQLModel

from server.clock import utcnow


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
