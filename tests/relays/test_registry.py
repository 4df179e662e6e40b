"""The relay registry on both databases: heartbeats by name, dead relays, the origin of a key, where a new viewer is
sent, and a relay leaving."""

from __future__ import annotations

import datetime as dt

import pytest

from server.clock import utcnow
from server.db import Database
from server.relays.services import (
    PLACEMENT_WINDOW,
    all_relays,
    forget_relay,
    fresh_relays,
    origin_of,
    place_viewer,
)
from tests.support.relays import register

pytestmark = [pytest.mark.integration, pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)]

DEAD_AFTER = 6.0


async def test_heartbeats_update_a_relays_row_and_a_silent_relay_or_an_edge_is_no_origin(database: Database) -> None:
    now = utcnow()
    async with database.session() as db:
        await register(db, "origin1", viewers=3, ingests=["12"], now=now - dt.timedelta(seconds=2))
        await register(db, "origin1", viewers=5, ingests=["12", "12_ja"], message="all well", now=now)
        await register(db, "dead", ingests=["13"], now=now - dt.timedelta(seconds=7))
        await register(db, "edge1", role="edge", ingests=["14"], carries=["12", "14"], now=now)
        fresh = await fresh_relays(db, now=now, dead_after=DEAD_AFTER)
        listed = [r.name for r in await all_relays(db)]
        origins = [await origin_of(db, key, now=now, dead_after=DEAD_AFTER) for key in ("12", "12_ja", "13", "14")]

    assert [(r.name, r.viewers, r.ingests, r.message, r.heartbeat_at) for r in fresh] == [
        ("origin1", 5, ["12", "12_ja"], "all well", now),
        ("edge1", 0, ["14"], "", now),
    ]
    assert listed == ["dead", "origin1", "edge1"]  # origins first: the dead one stays listed for the console
    assert [origin.name if origin else None for origin in origins] == ["origin1", "origin1", None, None]


async def test_viewers_asking_at_once_spread_over_the_relays_that_carry_or_can_pull_the_key(
    database: Database,
) -> None:
    now = utcnow()
    async with database.session() as db:
        await register(db, "origin1", ingests=["12"], carries=["12"], now=now)
        await register(db, "edge1", role="edge", carries=["12"], now=now)
        await register(db, "edge2", role="edge", now=now)  # can pull 12 from origin1
        await register(db, "dead-edge", role="edge", now=now - dt.timedelta(seconds=30))
        chosen = [await place_viewer(db, "12", now=now, dead_after=DEAD_AFTER) for _ in range(6)]
        nobody_publishes = await place_viewer(db, "99", now=now, dead_after=DEAD_AFTER)

    names = [placed.relay.name if placed else None for placed in chosen]
    # On equal load: a relay that carries the key (an edge before the origin), then the edge that must pull it.
    assert names == ["edge1", "origin1", "edge2", "edge1", "origin1", "edge2"]
    assert nobody_publishes is None


async def test_a_heartbeat_before_the_placed_viewers_arrive_does_not_send_the_next_ones_to_the_same_relay(
    database: Database,
) -> None:
    now = utcnow()
    async with database.session() as db:
        await register(db, "origin1", ingests=["12"], carries=["12"], now=now)
        await register(db, "edge1", role="edge", now=now)
        await register(db, "edge2", role="edge", now=now)
        first = [await place_viewer(db, "12", now=now, dead_after=DEAD_AFTER) for _ in range(2)]
        # edge1 pulled the key for its viewer, who is still connecting: its heartbeat counts no viewer yet.
        await register(db, "edge1", role="edge", carries=["12"], viewers=0, now=now + dt.timedelta(seconds=1))
        third = await place_viewer(db, "12", now=now + dt.timedelta(seconds=1), dead_after=DEAD_AFTER)
        # Long after the last placement, the heartbeat's own count stands (the viewer placed there never came).
        later = now + PLACEMENT_WINDOW + dt.timedelta(seconds=2)
        await register(db, "edge1", role="edge", carries=["12"], viewers=0, now=later)
    async with database.session() as db:
        counted = {relay.name: relay.viewers for relay in await fresh_relays(db, now=later, dead_after=DEAD_AFTER)}

    assert [placed.relay.name if placed else None for placed in first] == ["origin1", "edge1"]
    assert third is not None and third.relay.name == "edge2"  # not edge1 again, though it now carries the key
    assert counted["edge1"] == 0


async def test_a_relay_that_shuts_down_leaves_the_registry_but_a_successor_under_its_name_stays(
    database: Database,
) -> None:
    now = utcnow()
    first_start = now - dt.timedelta(minutes=5)
    async with database.session() as db:
        await register(db, "origin1", started_at=first_start, now=now - dt.timedelta(seconds=1))
        await register(db, "origin1", started_at=now, now=now)  # restarted before the old one said goodbye
        await forget_relay(db, name="origin1", started_at=first_start)
        kept = [r.name for r in await all_relays(db)]
        await forget_relay(db, name="origin1", started_at=now)
        left = [r.name for r in await all_relays(db)]

    assert (kept, left) == (["origin1"], [])
