from __future__ import annotations

import datetime as dt

from sqlmodel import Field, SQLModel

from server.clock import utcnow


class OutboxMail(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    recipient: str = Field(max_length=254, index=True)
    subject: str = Field(max_length=300)
    body: str
    created_at: dt.datetime = Field(default_factory=utcnow, index=True)
    sent_at: dt.datetime | None = None
    error: str = Field(default="", max_length=500)
