"""A session's restream target, and the state its relay last reported for it."""

from __future__ import annotations

import datetime as dt
import enum

from sqlmodel import Field, SQLModel

from server.clock import utcnow


class RestreamState(enum.StrEnum):
    off = "off"  # saved but turned off, or the session is not live
    connecting = "connecting"
    live = "live"  # pushing
    retrying = "retrying"  # the target dropped or refused; the relay tries again with backoff
    refused = "refused"  # the target refused the key: retried slowly, the organiser must fix it


class RestreamTarget(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", index=True, ondelete="CASCADE")
    session_id: int = Field(foreign_key="session.id", index=True, ondelete="CASCADE")
    label: str = Field(max_length=100)  # "YouTube", "Bilibili"
    url: str = Field(max_length=500)  # rtmp:// or rtmps:// ingest address, without the key
    key_encrypted: str = Field(max_length=1000)  # the stream key, encrypted with a key derived from the secret key
    enabled: bool = True
    version: int = 1
    created_at: dt.datetime = Field(default_factory=utcnow)
    # Written by the relay that pushes it.
    state: str = Field(default=RestreamState.off, max_length=12)
    bitrate: int = 0
    message: str = Field(default="", max_length=300)
    state_at: dt.datetime | None = None
