"""Relay registry rows as relays' heartbeats write them (server/relays), for tests that place viewers, and waiting
for what a relay process does in the background."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from sqlmodel.ext.asyncio.session import AsyncSession

from server.relays.services import heartbeat

T = TypeVar("T")


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


async def eventually(read: Callable[[], Awaitable[T]], ok: Callable[[T], bool], *, within: float = 10.0) -> T:
    """``read()`` until ``ok`` of its answer, or its last answer after ``within`` seconds."""
    deadline = time.monotonic() + within
    while True:
        value = await read()
        if ok(value) or time.monotonic() > deadline:
            return value
        await asyncio.sleep(0.1)
