"""Live-room fixtures: the real ASGI app (Socket.IO in front of Starlette) under uvicorn, real
python-socketio clients, and an event with people in every role."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import socketio

from realtime.live.asgi import create_asgi
from server.accounts.models import Role
from server.agenda.models import Session
from server.db import Database
from server.events.models import Event
from server.settings import Settings
from tests.conftest import ThreadedServer
from tests.live import factories
from tests.live.factories import ONLINE, ONSITE, Person

NAMESPACE = "/live"


class LiveRoomsServer(ThreadedServer):
    """``create_asgi`` served by uvicorn in a thread, as `podium serve` serves it."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(create_asgi(settings, deliver_mail=False, settle_gc=False))

    @property
    def live(self) -> Any:
        return self.app.live


class LiveClient:
    """A python-socketio client that records every event it receives."""

    def __init__(self) -> None:
        self.sio = socketio.AsyncClient(reconnection=False)
        self.received: dict[str, list[Any]] = defaultdict(list)
        self._changed = asyncio.Event()

        async def record(event: str, data: Any = None) -> None:
            self.received[event].append(data)
            self._changed.set()

        self.sio.on("*", record, namespace=NAMESPACE)

    async def connect(
        self,
        url: str,
        *,
        cookie: str | None = None,
        auth: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> LiveClient:
        headers = {**({"Cookie": f"podium_session={cookie}"} if cookie else {}), **(headers or {})}
        await self.sio.connect(
            url, headers=headers, auth=auth, namespaces=[NAMESPACE], transports=["websocket"], wait_timeout=10
        )
        return self

    async def call(self, event: str, payload: Any = None, *args: Any) -> Any:
        data = (payload, *args) if args else payload
        return await self.sio.call(event, data, namespace=NAMESPACE, timeout=15)

    async def join(self, session: int, since_seq: int | None = None) -> dict[str, Any]:
        payload: dict[str, Any] = {"session": session}
        if since_seq is not None:
            payload["since_seq"] = since_seq
        answer: dict[str, Any] = await self.call("join", payload)
        return answer

    async def wait_for(
        self, event: str, predicate: Callable[[Any], bool] = lambda _data: True, timeout: float = 5.0
    ) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            for data in self.received[event]:
                if predicate(data):
                    return data
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no {event} matching within {timeout}s; got {self.received[event]!r}")
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), remaining)

    def room_events(self, session: int) -> list[dict[str, Any]]:
        return [data for data in self.received["room_event"] if data["session"] == session]

    async def close(self) -> None:
        await self.sio.disconnect()
        await self.sio.shutdown()


def client_id() -> str:
    return uuid.uuid4().hex


REVOKED_WITHIN = 2.0  # seconds: how soon an open connection loses what a revocation took (README)


async def lost_within(
    client: LiveClient, event: str, payload: dict[str, Any], *, seconds: float = REVOKED_WITHIN
) -> str:
    """Repeats a request the connection could make until it is refused or the connection is closed; returns
    the refusal's code, "disconnected", or "still allowed" when neither happened within ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not client.sio.connected:
            return "disconnected"
        try:
            answer = await client.sio.call(event, payload, namespace="/live", timeout=0.5)
        except (socketio.exceptions.BadNamespaceError, socketio.exceptions.DisconnectedError):
            return "disconnected"
        except socketio.exceptions.TimeoutError:
            continue  # no answer: the connection is closing, or the machine is busy
        if not answer["ok"]:
            return str(answer["code"])
        await asyncio.sleep(0.05)
    return "disconnected" if not client.sio.connected else "still allowed"


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


@dataclass
class World:
    event: Event
    session: Session  # the room most tests use
    second: Session  # another session of the same event
    other_event: Event
    other_session: Session
    delegate: Person  # registered online
    onsite: Person  # registered on site, checked in, picked ``session``
    speaker: Person
    moderator: Person
    organiser: Person
    outsider: Person  # signed in, not registered
    other_moderator: Person  # moderator of the other event only


@pytest.fixture
async def world(database: Database, demo_event: str) -> World:
    async with database.session() as db:
        event = await factories.event_by_slug(db, demo_event)
        sessions = await factories.sessions_of(db, event)
        other_event, other_session = await factories.other_event(db)
        return World(
            event=event,
            session=sessions[1],
            second=sessions[2],
            other_event=other_event,
            other_session=other_session,
            delegate=await factories.person(db, event, "Ayu Online", attendance=ONLINE, country="ID"),
            onsite=await factories.person(
                db, event, "Bima Onsite", attendance=ONSITE, country="MY", sessions=(sessions[1],), checked_in=True
            ),
            speaker=await factories.person(db, event, "Speaker One", role=Role.speaker),
            moderator=await factories.person(db, event, "Chair Person", role=Role.moderator),
            organiser=await factories.person(db, event, "Organiser One", role=Role.organiser),
            outsider=await factories.person(db, event, "Not Registered"),
            other_moderator=await factories.person(db, other_event, "Other Chair", role=Role.moderator),
        )
