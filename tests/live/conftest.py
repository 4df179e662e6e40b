"""Live-room fixtures: the real ASGI app (Socket.IO in front of Starlette) under uvicorn, and real python-socketio
clients that are closed after the test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest

from server.settings import Settings
from tests.support.factories import Person
from tests.support.live_clients import LiveClient
from tests.support.servers import LiveRoomsServer


@pytest.fixture
def live_rooms(settings: Settings, demo_event: str) -> Iterator[LiveRoomsServer]:
    server = LiveRoomsServer(settings)
    server.start()
    yield server
    server.stop()


@pytest.fixture
async def clients(live_rooms: LiveRoomsServer) -> AsyncIterator[Callable[..., Any]]:
    opened: list[LiveClient] = []

    async def connect(person: Person | None = None, *, auth: dict[str, Any] | None = None) -> LiveClient:
        client = LiveClient()
        await client.connect(live_rooms.url, cookie=person.token if person else None, auth=auth)
        opened.append(client)
        return client

    yield connect
    for client in opened:
        await client.close()
