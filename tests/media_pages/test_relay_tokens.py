"""Every relay process checks publish tokens against the generation stored in the one database."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.applications import Starlette

from realtime.media.app import create_relay_app
from realtime.media.config import RelaySettings
from realtime.media.stored_tokens import GENERATION_CACHE_SECONDS
from server.accounts.actors import Actor
from server.accounts.models import Role
from server.agenda.models import Session
from server.db import Database
from server.events.models import Event
from server.settings import Settings
from server.streams.keys import rotate_publish_key
from server.streams.tokens import publish_token
from tests.media.clients import Peer, auth, publish
from tests.media.synthetic import PatternTrack
from tests.support import factories

pytestmark = pytest.mark.integration


@pytest.fixture
async def scene(database: Database) -> tuple[Event, Session]:
    async with database.session() as db:
        return await factories.other_event(db)


@pytest.fixture
async def relays(settings: Settings, database: Database) -> AsyncIterator[list[httpx.AsyncClient]]:
    """Two relay processes' apps on the app's database, each with its own generation cache."""
    relay_settings = RelaySettings(secret_key=settings.secret_key, host_addresses=("127.0.0.1",), connect_timeout=10)
    apps: list[Starlette] = [create_relay_app(relay_settings, database=database) for _ in range(2)]
    clients = [
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=("127.0.0.1", 50000)), base_url="http://relay")
        for app in apps
    ]
    yield clients
    for client, app in zip(clients, apps, strict=True):
        await client.aclose()
        await app.state.media.relay.close()


async def accepts(relay: httpx.AsyncClient, key: str, token: str) -> bool:
    """Whether the relay takes the token: a body that is not SDP answers 415 after the token passed, 401 before."""
    response = await relay.post(f"/whip/{key}", content="hello", headers={**auth(token), "Content-Type": "text/plain"})
    assert response.status_code in (401, 415), response.text
    return response.status_code == 415


@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
async def test_a_rotated_token_is_refused_by_every_relay_and_the_new_one_publishes(
    relays: list[httpx.AsyncClient], scene: tuple[Event, Session], settings: Settings, database: Database
) -> None:
    event, session = scene
    key = str(session.id)
    old = publish_token(settings.secret_key, key, 0)
    assert [await accepts(relay, key, old) for relay in relays] == [True, True]  # and each relay has cached it
    async with database.session() as db:
        organiser = await factories.person(db, event, "Organiser Two", role=Role.organiser)
        actor = Actor(account=organiser.account, roles=frozenset({Role.organiser}))
        rotated = await rotate_publish_key(
            db, actor=actor, event=event, session_id=session.id or 0, secret=settings.secret_key
        )
    rotated_at = time.monotonic()

    refused = [False, False]
    while not all(refused) and time.monotonic() - rotated_at < GENERATION_CACHE_SECONDS + 2:
        refused = [not await accepts(relay, key, old) for relay in relays]
        await asyncio.sleep(0.1)
    peers: list[Peer] = [await publish(relay, f"/whip/{key}", rotated.token, PatternTrack()) for relay in relays]
    for peer in peers:
        await peer.close()

    assert refused == [True, True]
    assert [peer.location.startswith(f"/whip/{key}/") for peer in peers] == [True, True]
    assert rotated.token == publish_token(settings.secret_key, key, 1)
