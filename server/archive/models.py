"""Per session: whether the relay records it, and whether its replay and archive are published.

A session without a row gets the defaults: recorded, replay and archive not yet published.
"""

from __future__ import annotations

import enum

from sqlmodel import Field, SQLModel


class ReplayAudience(enum.StrEnum):
    """Who may watch an event's published replays (``LiveSettings.replay_audience``)."""

    delegates = "delegates"  # the event's confirmed delegates and its staff
    everyone = "everyone"


class SessionArchive(SQLModel, table=True):
    session_id: int = Field(foreign_key="session.id", primary_key=True, ondelete="CASCADE")
    event_id: int = Field(foreign_key="event.id", index=True, ondelete="CASCADE")
    record: bool = Field(default=True)  # the relay records the session's streams
    replay_published: bool = Field(default=False)  # organisers publish or hide the replay
    archive_published: bool = Field(default=False)  # answered questions, poll results, materials for everyone
    version: int = Field(default=1)  # optimistic concurrency: a save carrying an older version is refused
