"""Which interpretation channels run (planned for a room, every session held there, or for one session), and each
session's booths: who is on air per channel, and the floor's language."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from server.clock import utcnow


class ChannelPlan(SQLModel, table=True):
    """The channels' languages (comma-separated BCP 47 codes, each one of the event's languages) for a room when
    ``session_id`` is None, else for one session, whose plan replaces its room's (even when empty: no channels)."""

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", index=True, ondelete="CASCADE")
    room_id: int | None = Field(default=None, foreign_key="room.id", index=True, ondelete="CASCADE")
    session_id: int | None = Field(default=None, foreign_key="session.id", index=True, ondelete="CASCADE")
    languages: str = Field(default="", max_length=200)

    @property
    def language_list(self) -> list[str]:
        return [code for code in self.languages.split(",") if code]


class Booth(SQLModel, table=True):
    """One channel's booth in one session: the interpreter on air (None: the channel is silent) and whether they
    offered the booth to their partner (``handover_offered``: the partner's "Take over" completes it). Every change
    bumps ``version`` in a conditional update, so two interpreters pressing at once cannot both win."""

    __table_args__ = (UniqueConstraint("session_id", "language"),)

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", index=True, ondelete="CASCADE")
    session_id: int = Field(foreign_key="session.id", ondelete="CASCADE")
    language: str = Field(max_length=16)
    on_air_id: int | None = Field(default=None, foreign_key="account.id", ondelete="SET NULL")
    handover_offered: bool = False
    version: int = 0
    changed_at: dt.datetime = Field(default_factory=utcnow)


class FloorLanguage(SQLModel, table=True):
    """The language spoken on the floor now, as the session's moderator last set it (the booths show it)."""

    session_id: int = Field(primary_key=True, foreign_key="session.id", ondelete="CASCADE")
    event_id: int = Field(foreign_key="event.id", index=True, ondelete="CASCADE")
    language: str = Field(max_length=16)
    changed_at: dt.datetime = Field(default_factory=utcnow)


class BoothMessage(SQLModel, table=True):
    """A line of a booth's chat: its interpreters and the session's moderators."""

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", index=True, ondelete="CASCADE")
    session_id: int = Field(foreign_key="session.id", index=True, ondelete="CASCADE")
    language: str = Field(max_length=16)
    author_id: int | None = Field(default=None, foreign_key="account.id", ondelete="SET NULL")
    author_name: str = Field(default="", max_length=200)
    text: str = Field(max_length=1000)
    client_id: str = Field(default="", max_length=64)
    created_at: dt.datetime = Field(default_factory=utcnow)
