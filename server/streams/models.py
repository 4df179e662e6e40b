"""A session's stream settings: its publish-token generation, and the video address it plays before going live."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Field, SQLModel

from server.clock import utcnow


class StreamKey(SQLModel, table=True):
    """Raising ``generation`` invalidates every publish token handed out before, on every relay process."""

    session_id: int = Field(foreign_key="session.id", primary_key=True, ondelete="CASCADE")
    event_id: int = Field(foreign_key="event.id", index=True, ondelete="CASCADE")
    generation: int = Field(default=0)
    rotated_at: dt.datetime | None = Field(default=None)


class Recording(SQLModel, table=True):
    """A pre-recorded video address for a session: played to the room's viewers, then the room goes on live."""

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", index=True, ondelete="CASCADE")
    session_id: int = Field(foreign_key="session.id", unique=True, ondelete="CASCADE")
    filename: str = Field(max_length=200)  # as uploaded, shown to organisers
    stored_name: str = Field(max_length=100)  # the file's name in the media folder
    size_bytes: int = Field(default=0)
    duration_seconds: float | None = Field(default=None)
    play_at: dt.datetime | None = Field(default=None)  # None: only when a moderator presses play
    started_at: dt.datetime | None = Field(default=None)  # set once, by whichever process starts the playback
    uploaded_at: dt.datetime = Field(default_factory=utcnow)
    uploaded_by: int | None = Field(default=None, foreign_key="account.id", ondelete="SET NULL")
