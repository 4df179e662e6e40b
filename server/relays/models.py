"""A relay process as it registered itself: its addresses, its role, what it carries and its load."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel


class RelayRole(enum.StrEnum):
    origin = "origin"  # ingests publishers (WHIP) and serves viewers
    edge = "edge"  # pulls sessions from their origin as a WHEP client and serves viewers


class RelayNode(SQLModel, table=True):
    """One row per running relay, refreshed by its heartbeat every few seconds; a row whose heartbeat is older
    than the deployment's timeout is a relay that died (its viewers reconnect to another)."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True)  # PODIUM_RELAY_NAME, else host:port
    role: str = Field(default=RelayRole.origin, max_length=10)
    # Where other processes reach it (status, WHEP pulls by edges) and where browsers do (the viewer pass).
    internal_url: str = Field(max_length=300)
    public_url: str = Field(default="", max_length=300)  # empty: the site's own address (nginx proxies /whep/)
    viewers: int = 0
    max_viewers: int = 0
    cpu_percent: float = 0.0  # of one core, over the last heartbeat interval
    bitrate_out: int = 0  # bits per second sent to viewers (and edges)
    # Stream keys this relay ingests from a publisher or a recording (it is their origin), and those it carries
    # (has media for: ingested or pulled from an origin).
    ingests: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    carries: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # What is wrong, for the organiser's console: an origin an edge cannot reach or that refused it.
    message: str = Field(default="", max_length=300)
    started_at: dt.datetime
    heartbeat_at: dt.datetime = Field(index=True)
    # When the app last sent a viewer here (counting it in ``viewers`` at once): for PLACEMENT_WINDOW after that, a
    # heartbeat does not lower ``viewers``, since the viewers placed may still be on their way (server/relays).
    placed_at: dt.datetime | None = None
