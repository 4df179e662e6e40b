"""Real python-socketio clients of the live rooms, which record every event they receive."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import socketio

NAMESPACE = "/live"


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


async def join_once(url: str, session: int, *, cookie: str) -> dict[str, Any]:
    """A fresh connection's ``join`` answer, as a page opened now gets it; the connection is closed after."""
    client = LiveClient()
    await client.connect(url, cookie=cookie)
    try:
        return await client.join(session)
    finally:
        await client.close()
