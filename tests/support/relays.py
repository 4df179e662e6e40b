"""Relay registry rows as relays' heartbeats write them (server/relays), for tests that place viewers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlmodel.ext.asyncio.session import AsyncSession

from server.relays.services import heartbeat


async def register(
    db: AsyncSession,
    name: str,
    *,
    now: dt.datetime,
    role: str = "origin",
    viewers: int = 0,
    max_viewers: int = 1000,
    cpu_percent: float = 5.0,
    ingests: Sequence[str] = (),
    carries: Sequence[str] = (),
    public_url: str = "",
    message: str = "",
    started_at: dt.datetime | None = None,
) -> None:
    """One heartbeat of relay ``name`` at ``now``."""
    await heartbeat(
        db,
        name=name,
        role=role,
        internal_url=f"http://{name}.internal:8100",
        public_url=public_url,
        viewers=viewers,
        max_viewers=max_viewers,
        cpu_percent=cpu_percent,
        bitrate_out=0,
        ingests=ingests,
        carries=carries,
        message=message,
        started_at=started_at or now - dt.timedelta(minutes=1),
        now=now,
    )
