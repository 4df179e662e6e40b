"""A session's replay: the relay's recorded segments, joined (remuxed, never re-encoded) into one file."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import JSON, BigInteger, Column
from sqlmodel import Field, SQLModel


class ReplayState(enum.StrEnum):
    processing = "processing"  # an app process is joining the segments
    ready = "ready"  # ``stored_name`` plays
    failed = "failed"  # no segment could be read; ``message`` says why


class Replay(SQLModel, table=True):
    """One per session at most; rebuilt when the relay wrote segments after it was made (a session that ran over)."""

    session_id: int = Field(foreign_key="session.id", primary_key=True, ondelete="CASCADE")
    event_id: int = Field(foreign_key="event.id", index=True, ondelete="CASCADE")
    state: str = Field(default=ReplayState.processing, max_length=12)
    stored_name: str | None = Field(default=None, max_length=100)  # in the media folder's ``replays``
    content_type: str = Field(default="video/webm", max_length=40)
    duration_seconds: float | None = None
    size_bytes: int = 0
    # Where each joined segment starts, on the wall clock and in the file: [{"wall_ms": …, "offset": seconds}],
    # so a moment of the session (a highlighted question, a poll opened) finds its place in the replay.
    timeline: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # The newest segment joined (its start, Unix ms): a newer one on disk means the replay is out of date.
    last_segment_ms: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    message: str = Field(default="", max_length=300)
    updated_at: dt.datetime | None = None
