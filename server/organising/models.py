"""The tables of running an event from the back office: integrations' API tokens, and schedule files waiting
between their preview and "Apply"."""

from __future__ import annotations

import datetime as dt
import enum

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
