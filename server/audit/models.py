from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from server.clock import utcnow


class AuditEntry(SQLModel, table=True):
    """One organiser action. Written in the transaction of the change itself, so a change is never without its
    entry nor an entry without its change. Who acted is kept by name and address too: the account may go."""

    id: int | None = Field(default=None, primary_key=True)
    event_id: int | None = Field(default=None, foreign_key="event.id", index=True, ondelete="CASCADE")
    account_id: int | None = Field(default=None, foreign_key="account.id", ondelete="SET NULL")
    actor_email: str = Field(default="", max_length=254)
    action: str = Field(max_length=60, index=True)  # e.g. "session.update", "release.publish"
    target_type: str = Field(default="", max_length=40)  # "session", "room", "person", ...
    target_id: str = Field(default="", max_length=64)
    target_label: str = Field(default="", max_length=300)  # what a reader recognises: a title, a name
    before: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    after: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    created_at: dt.datetime = Field(default_factory=utcnow, index=True)
