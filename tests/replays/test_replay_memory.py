"""A replay is sent from disk in chunks: serving a large one (and a range of it) through a real server costs a
small, fixed amount of memory, not the file's size."""

from __future__ import annotations

import os
import tracemalloc
from dataclasses import replace

import httpx
import pytest

from server.app import create_app
from server.archive.models import SessionArchive
from server.db import Database
from server.replays.models import Replay, ReplayState
from server.replays.services import replays_dir
from server.settings import Settings
from server.transport.auth import SESSION_COOKIE
from tests.support.servers import ThreadedServer
from tests.support.speaker_stage import Stage

pytestmark = [pytest.mark.integration, pytest.mark.slow]
SIZE = 48 * 1024 * 1024


async def test_a_large_replay_is_streamed_without_being_read_into_memory(
    database: Database, settings: Settings, stage: Stage
) -> None:
    folder = replays_dir(settings.media_dir)
    folder.mkdir(parents=True)
    with open(folder / "large.webm", "wb") as file:
        for _ in range(SIZE // (1024 * 1024)):
            file.write(os.urandom(1024 * 1024))
    async with database.session() as db:
        db.add(
            Replay(
                session_id=stage.session.id or 0,
                event_id=stage.event.id or 0,
                state=ReplayState.ready,
                stored_name="large.webm",
                size_bytes=SIZE,
                duration_seconds=3600.0,
            )
        )
        db.add(SessionArchive(session_id=stage.session.id or 0, event_id=stage.event.id or 0, replay_published=True))
        await db.commit()
    server = ThreadedServer(create_app(replace(settings), deliver_mail=False))
    server.start()
    received = 0
    try:
        tracemalloc.start()
        async with httpx.AsyncClient(
            base_url=server.url, cookies={SESSION_COOKIE: stage.people["delegate"].token}
        ) as browser:
            async with browser.stream("GET", stage.path("replay.webm")) as response:
                assert response.status_code == 200
                async for chunk in response.aiter_raw():
                    received += len(chunk)
            async with browser.stream("GET", stage.path("replay.webm"), headers={"Range": "bytes=1000-"}) as part:
                assert part.status_code == 206
                async for chunk in part.aiter_raw():
                    received += len(chunk)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        server.stop()

    assert received == SIZE + SIZE - 1000
    assert peak < 8 * 1024 * 1024, f"{peak / 1048576:.1f} MB held while sending {SIZE // 1048576} MB twice"
