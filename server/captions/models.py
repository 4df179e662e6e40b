"""Live captions: the lines a captioner sends, per session and language, numbered in the order they were kept."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from server.clock import utcnow


class CaptionTrack(SQLModel, table=True):
    """One session's captions in one language: the number of its last line. Its row is locked while a line is
    added, so lines get their ``seq`` one after the other on SQLite and PostgreSQL alike."""

    session_id: int = Field(foreign_key="session.id", primary_key=True, ondelete="CASCADE")
    language: str = Field(primary_key=True, max_length=35)
    event_id: int = Field(foreign_key="event.id", index=True, ondelete="CASCADE")
    seq: int = 0


class CaptionLine(SQLModel, table=True):
    """A line of captions as it was said: ``said_at`` is the wall-clock moment (UTC) the server kept it; the
    WebVTT file turns it into a cue time (server/captions/webvtt.py)."""

    __table_args__ = (
        UniqueConstraint("session_id", "language", "seq"),
        UniqueConstraint("session_id", "author_key", "client_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", index=True, ondelete="CASCADE")
    session_id: int = Field(foreign_key="session.id", ondelete="CASCADE")
    language: str = Field(max_length=35)
    seq: int
    text: str = Field(max_length=500)
    author_key: str = Field(max_length=40)  # "a<account id>", as in live rooms
    account_id: int | None = Field(default=None, foreign_key="account.id", ondelete="SET NULL")
    client_id: str = Field(max_length=64)
    said_at: dt.datetime = Field(default_factory=utcnow)
