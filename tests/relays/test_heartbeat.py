"""A ``podium relay`` process registers itself: its addresses, what it ingests and carries, its viewers and bitrate,
every heartbeat; killed, it is dead within PODIUM_RELAY_DEAD_AFTER; shut down, it leaves the registry at once."""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from server.clock import utcnow
from server.db import Database
from server.relays.models import RelayNode
from server.relays.services import all_relays, fresh_relays, origin_of
from server.settings import Settings
from server.streams.tokens import publish_token, viewer_pass
from tests.media.clients import publish, wait_connected, watch
from tests.media.synthetic import PatternTrack
from tests.support.media import loopback_only
from tests.support.relay_process import RelayProcess
from tests.support.relays import eventually

pytestmark = [pytest.mark.integration, pytest.mark.slow]

HEARTBEAT = 0.3
DEAD_AFTER = 1.5
KEY = "41"


@pytest.fixture(autouse=True)
def loopback() -> Iterator[None]:
    with loopback_only():
        yield


@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
async def test_a_relay_process_registers_its_load_is_dead_when_killed_and_leaves_when_stopped(
    settings: Settings, database: Database, tmp_path: Path
) -> None:
    relay = RelayProcess(settings.database_url, settings.secret_key, tmp_path / "relay.log")
    relay.environment.update(
        PODIUM_RELAY_HEARTBEAT=str(HEARTBEAT),
        PODIUM_RELAY_DEAD_AFTER=str(DEAD_AFTER),
        PODIUM_RELAY_PUBLIC_URL="/relay/origin1",
    )
    name = f"127.0.0.1:{relay.port}"

    async def fresh() -> list[RelayNode]:
        async with database.session() as db:
            return await fresh_relays(db, now=utcnow(), dead_after=DEAD_AFTER)

    async def origin() -> RelayNode | None:
        async with database.session() as db:
            return await origin_of(db, KEY, now=utcnow(), dead_after=DEAD_AFTER)

    async def listed() -> list[str]:
        async with database.session() as db:
            return [r.name for r in await all_relays(db)]

    relay.start()
    try:
        registered = await eventually(fresh, lambda relays: len(relays) == 1)
        async with httpx.AsyncClient(base_url=relay.url, timeout=20) as client:
            publisher = await publish(
                client, f"/whip/{KEY}", publish_token(settings.secret_key, KEY, 0), PatternTrack()
            )
            expires_at = int(time.time()) + 60
            viewer = await watch(
                client, f"/whep/{KEY}", viewer_pass(settings.secret_key, KEY, "a1", expires_at=expires_at)
            )
            await wait_connected(viewer.pc)
            loaded = await eventually(fresh, lambda r: bool(r) and r[0].viewers == 1 and r[0].bitrate_out > 0)
            origin_live = await origin()
            await viewer.close()
            await publisher.close()
        relay.kill()
        killed_at = time.monotonic()
        gone = await eventually(fresh, lambda relays: not relays)
        noticed_after = time.monotonic() - killed_at
        origin_dead = await origin()
        kept_for_console = await listed()

        relay.start()
        await eventually(fresh, lambda relays: len(relays) == 1)
        relay.kill(signal.SIGTERM)
        left = await listed()
    finally:
        relay.kill()

    assert [(r.name, r.role, r.internal_url, r.public_url, r.max_viewers) for r in registered] == [
        (name, "origin", relay.url, "/relay/origin1", 1000)
    ]
    assert [(r.viewers, r.ingests, r.carries) for r in loaded] == [(1, [KEY], [KEY])]
    assert origin_live is not None and origin_live.name == name
    assert (gone, origin_dead, kept_for_console) == ([], None, [name])
    assert noticed_after < DEAD_AFTER + 1
    assert left == []
