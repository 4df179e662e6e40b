"""A relay whose database freezes (a hung host: connections open, nothing answers) keeps serving its viewers, beats
again once the database answers, and still shuts down when told to: no heartbeat may hang the relay."""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from server.clock import utcnow
from server.db import Database
from server.relays.models import RelayNode
from server.relays.services import fresh_relays
from server.settings import Settings
from server.streams.tokens import publish_token, viewer_pass
from tests.media.clients import publish, video_frames, wait_connected, watch
from tests.media.synthetic import PatternTrack
from tests.support.media import loopback_only
from tests.support.private_services import PrivatePostgres
from tests.support.relay_process import RelayProcess, relay_status
from tests.support.relays import eventually

pytestmark = [pytest.mark.integration, pytest.mark.slow]

HEARTBEAT = 0.3
DEAD_AFTER = 1.5
KEY = "43"


@pytest.fixture(autouse=True)
def loopback() -> Iterator[None]:
    with loopback_only():
        yield


@pytest.mark.parametrize("backend", ["private_postgres"], indirect=True)
async def test_a_frozen_database_costs_heartbeats_not_viewers_and_never_stops_a_shutdown(
    settings: Settings, database: Database, private_postgres: PrivatePostgres, tmp_path: Path
) -> None:
    relay = RelayProcess(settings.database_url, settings.secret_key, tmp_path / "relay.log")
    relay.environment.update(PODIUM_RELAY_HEARTBEAT=str(HEARTBEAT), PODIUM_RELAY_DEAD_AFTER=str(DEAD_AFTER))

    async def fresh() -> list[RelayNode]:
        async with database.session() as db:
            return await fresh_relays(db, now=utcnow(), dead_after=DEAD_AFTER)

    relay.start()
    try:
        await eventually(fresh, lambda relays: len(relays) == 1)
        async with httpx.AsyncClient(base_url=relay.url, timeout=20) as client:
            publisher = await publish(
                client, f"/whip/{KEY}", publish_token(settings.secret_key, KEY, 0), PatternTrack()
            )
            token = viewer_pass(settings.secret_key, KEY, "a1", expires_at=int(time.time()) + 120)
            viewer = await watch(client, f"/whep/{KEY}", token)
            await wait_connected(viewer.pc)
            assert await video_frames(viewer.tracks["video"], seconds=2)

            private_postgres.freeze()
            frozen_at = time.monotonic()
            try:
                await asyncio.sleep(DEAD_AFTER * 2)  # heartbeats pile up against the frozen database
                watched_while_frozen = len(await video_frames(viewer.tracks["video"], seconds=2))
                status_while_frozen = await relay_status(relay, KEY, settings.secret_key)
            finally:
                private_postgres.thaw()
            frozen_for = time.monotonic() - frozen_at
            beats_again = await eventually(fresh, lambda relays: len(relays) == 1, within=10)
            await viewer.close()
            await publisher.close()

        private_postgres.freeze()
        try:
            stopping_at = time.monotonic()
            assert relay.process is not None
            relay.process.send_signal(signal.SIGTERM)
            exit_code = await asyncio.to_thread(relay.process.wait, 30)
            stopped_after = time.monotonic() - stopping_at
        finally:
            private_postgres.thaw()
    finally:
        relay.kill()

    assert watched_while_frozen > 20  # about 30 frames a second: the viewer never noticed
    assert status_while_frozen["live"] is True and status_while_frozen["viewers"] == 1
    assert frozen_for > DEAD_AFTER * 2
    assert len(beats_again) == 1  # the same process registered again: its stuck heartbeat gave up
    assert exit_code in (0, -signal.SIGTERM)  # uvicorn passes the signal on once it has shut down
    assert "Application shutdown complete" in relay.log.read_text(encoding="utf-8")
    assert stopped_after < 15  # it gave up leaving the registry; its row goes dead by itself
