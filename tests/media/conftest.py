"""A relay with loopback-only ICE, its ASGI client, and a real uvicorn server for end-to-end media tests."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette

from realtime.media.app import create_relay_app
from realtime.media.config import RelaySettings
from realtime.media.policy import signed_policy
from realtime.media.relay import Relay
from server.streams.tokens import PublishTokens
from tests.support.media import SECRET, loopback_only
from tests.support.ports import free_port


@pytest.fixture(autouse=True)
def loopback() -> Iterator[None]:
    """Every peer in these tests, relay and clients alike, offers only 127.0.0.1."""
    with loopback_only():
        yield


@pytest.fixture
def settings() -> RelaySettings:
    return RelaySettings(
        secret_key=SECRET,
        host_addresses=("127.0.0.1",),
        connect_timeout=10.0,
        max_viewers_per_account=2,
        max_viewers_per_ip=4,
        signalling_per_ip_per_minute=1000,
    )


@pytest.fixture
def tokens() -> PublishTokens:
    return PublishTokens(SECRET)


@pytest.fixture
async def relay_app(settings: RelaySettings, tokens: PublishTokens) -> AsyncIterator[Starlette]:
    app = create_relay_app(settings, policy=signed_policy(SECRET, tokens))
    yield app
    await app.state.media.relay.close()


@pytest.fixture
def relay(relay_app: Starlette) -> Relay:
    relay: Relay = relay_app.state.media.relay
    return relay


@pytest.fixture
async def client(relay_app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=relay_app, client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://relay.test") as client:
        yield client


@pytest.fixture
async def live_client(relay_app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the relay served by uvicorn on this test's event loop, over real HTTP."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(relay_app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    serving = asyncio.create_task(server.serve())
    async with asyncio.timeout(10):
        while not server.started:
            await asyncio.sleep(0.02)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=20) as client:
        yield client
    server.should_exit = True
    await serving
