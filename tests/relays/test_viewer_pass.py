"""The viewer pass sends each new viewer to a relay of the registry: the least loaded fresh one that carries the
session or can pull it, at that relay's public address; never a dead one; elsewhere than the relay the player just
failed to reach; the site's own /whep/ when no registered relay has or can get the session."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from server.clock import utcnow
from server.db import Database
from server.relays.services import fresh_relays
from server.settings import Settings
from server.streams.tokens import read_viewer_pass
from tests.support.http import as_person
from tests.support.relays import register
from tests.support.speaker_stage import Stage

pytestmark = pytest.mark.integration


async def ask_pass(web: httpx.AsyncClient, stage: Stage, **params: str) -> dict[str, object]:
    response = await as_person(web, stage.people["delegate"]).get(stage.path("stream/pass"), params=params)
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
async def test_the_pass_sends_the_viewer_to_the_least_loaded_relay_at_its_public_address(
    web: httpx.AsyncClient, stage: Stage, database: Database, settings: Settings
) -> None:
    key = str(stage.session.id)
    now = utcnow()
    async with database.session() as db:
        await register(db, "origin1", viewers=10, ingests=[key], carries=[key], now=now)
        await register(db, "edge1", role="edge", viewers=2, carries=[key], public_url="/relay/edge1", now=now)
        await register(db, "edge2", role="edge", viewers=5, public_url="https://podium.example/relay/edge2", now=now)
        await register(db, "quiet", viewers=0, now=now)  # an origin of other sessions: it cannot serve this one

    first = await ask_pass(web, stage)
    then = [(await ask_pass(web, stage))["relay"] for _ in range(4)]
    async with database.session() as db:
        counted = {r.name: r.viewers for r in await fresh_relays(db, now=now, dead_after=6)}

    assert (first["url"], first["relay"], first["full"]) == (f"/relay/edge1/whep/{key}", "edge1", False)
    assert read_viewer_pass(settings.secret_key, key, str(first["token"])) == f"a{stage.people['delegate'].account.id}"
    # Each pass counts its viewer at once: edge1 fills up to edge2's load, then they take turns.
    assert then == ["edge1", "edge1", "edge1", "edge2"]
    assert counted == {"origin1": 10, "edge1": 6, "edge2": 6, "quiet": 0}


async def test_a_dead_relay_is_never_chosen_the_one_that_just_failed_comes_last_and_without_one_the_site_serves(
    web: httpx.AsyncClient, stage: Stage, database: Database
) -> None:
    key = str(stage.session.id)
    alone = await ask_pass(web, stage)
    now = utcnow()
    async with database.session() as db:
        await register(db, "origin1", viewers=50, ingests=[key], carries=[key], now=now)
        await register(db, "edge1", role="edge", viewers=0, carries=[key], public_url="/relay/edge1", now=now)
        await register(
            db, "edge2", role="edge", carries=[key], public_url="/relay/edge2", now=now - dt.timedelta(seconds=7)
        )

    avoiding_edge1 = await ask_pass(web, stage, avoid="edge1")
    avoiding_all_but_one = await ask_pass(web, stage, avoid="origin1")
    hostile = await ask_pass(web, stage, avoid="<script>" + "x" * 5000)
    async with database.session() as db:
        # An edge can pull only from a living origin: this session's died.
        await register(db, "origin1", ingests=[key], carries=[key], now=now - dt.timedelta(seconds=30))
        await register(db, "edge1", role="edge", public_url="/relay/edge1", now=utcnow())
    orphaned = await ask_pass(web, stage)

    assert (avoiding_edge1["url"], avoiding_edge1["relay"]) == (f"/whep/{key}", "origin1")
    assert avoiding_all_but_one["relay"] == "edge1"
    assert hostile["relay"] == "edge1"
    assert [(alone["url"], alone["relay"]), (orphaned["url"], orphaned["relay"])] == [(f"/whep/{key}", None)] * 2


async def test_when_every_relay_that_could_serve_is_full_the_pass_says_so(
    web: httpx.AsyncClient, stage: Stage, database: Database
) -> None:
    key = str(stage.session.id)
    now = utcnow()
    async with database.session() as db:
        await register(db, "origin1", viewers=40, max_viewers=40, ingests=[key], carries=[key], now=now)
        await register(db, "edge1", role="edge", viewers=39, max_viewers=40, carries=[key], now=now)

    last_seat = await ask_pass(web, stage)
    none_left = await ask_pass(web, stage)

    assert (last_seat["relay"], last_seat["full"]) == ("edge1", False)
    # Still a relay (it may have room by the time the player asks), and the player turns to HLS if refused.
    assert (none_left["relay"], none_left["full"]) == ("edge1", True)
