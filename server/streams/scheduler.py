"""Starts recordings at their time: every app process runs this loop, and each start is claimed by one of them."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Sequence

from server.db import Database
from server.errors import PodiumError
from server.streams.recordings import claim_due
from server.streams.relay_control import RelayControl

log = logging.getLogger(__name__)

POLL_SECONDS = 2.0  # how late a scheduled recording may start


class RecordingScheduler:
    """``control`` gives the relay to tell, or None while there is none (then nothing is claimed)."""

    def __init__(
        self,
        database: Database,
        control: Callable[[], RelayControl | None],
        *,
        jobs: Sequence[Callable[[], Awaitable[object]]] = (),
    ) -> None:
        self.database = database
        self.control = control
        # What else runs in the same loop, from the layers above (the replays made once sessions end).
        self.jobs = tuple(jobs)

    async def tick(self, now: dt.datetime | None = None) -> list[int]:
        """Claim what is due and ask the relay to play it; returns the ids of the recordings this process started."""
        control = self.control()
        if control is None:
            return []
        async with self.database.session() as db:
            claimed = await claim_due(db, now=now)
        started = []
        for recording in claimed:
            try:
                await control.play(str(recording.session_id), recording.stored_name)
                started.append(recording.id or 0)
                log.info("recording %s of session %s started on schedule", recording.id, recording.session_id)
            except PodiumError as exc:
                log.error("recording %s of session %s could not start: %s", recording.id, recording.session_id, exc)
        return started

    async def run(self) -> None:
        while True:
            for job in (self.tick, *self.jobs):
                try:
                    await job()
                except Exception:  # keep scheduling after a passing database or relay fault
                    log.exception("the scheduler's %s failed", getattr(job, "__qualname__", job))
            await asyncio.sleep(POLL_SECONDS)
