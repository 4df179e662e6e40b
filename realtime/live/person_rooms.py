"""The client managers of live rooms.

A person's Socket.IO room (``audiences.person``) without a room entry per connection. When a message to
it is delivered, the manager asks this process's live server for its connections of that person in that
room: so a personal message (a mute notice, one's own question) reaches every connection of theirs, in
every process (each resolves its own on receiving the emit from Redis), and the many people who never get
one cost no memory.

With Redis (``SharedPersonRooms``), Redis is only the fast path between processes, never in the way of
this process's clients: python-socketio delivers to them first, then publishes; here the publish only
queues the message, and a background task sends the queue to Redis (see ``RedisBus``). What Redis could not
carry, clients get back from the database: a process that missed messages, or had to drop some, tells the
clients concerned to ``resync`` (PROTOCOL.md), and they join again with ``since_seq``."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import redis.asyncio as redis
import socketio

from realtime.live.redis_client import REDIS_TIMEOUT, redis_options, retry_pause
from server.live import audiences

logger = logging.getLogger(__name__)

# (session id, participant key) -> sids of this process's connections of that person in that room
Resolve = Callable[[int, str], Iterable[str]]

RESYNC = "resync"  # the event that tells clients to join again with since_seq (PROTOCOL.md)
BACKLOG = 5000  # messages waiting for Redis at most; beyond it the oldest go (clients catch up by seq)
BATCH = 200  # messages sent to Redis in one round trip


class PersonRooms(socketio.AsyncManager):
    """The in-process manager; ``SharedPersonRooms`` is the same over Redis."""

    resolve: Resolve | None = None

    def get_participants(self, namespace: str, room: Any) -> Iterator[tuple[str, str]]:
        members: dict[str, str] = dict(super().get_participants(namespace, room))
        person = audiences.parse_person(room) if isinstance(room, str) else None
        if person is not None and self.resolve is not None:
            for sid in self.resolve(*person):
                eio_sid = self.eio_sid_from_sid(sid, namespace)
                if eio_sid is not None:
                    members.setdefault(sid, eio_sid)
        yield from members.items()

    async def close(self) -> None:
        """Stops what the manager runs in the background (nothing, in one process)."""


class SharedPersonRooms(PersonRooms, socketio.AsyncRedisManager):
    """Publishes from a bounded queue, subscribes again within about a second after Redis fails, and asks
    its own clients to resync after it could not listen (messages from other processes were lost)."""

    def __init__(self, url: str, *, channel: str, backlog: int = BACKLOG) -> None:
        # The subscriber waits for messages indefinitely: only its connection attempt is bounded.
        subscriber = {**redis_options(), "socket_timeout": None}
        super().__init__(url, channel=channel, redis_options=subscriber)
        self.url = url
        self.backlog: deque[dict[str, Any]] = deque()
        self.backlog_limit = backlog
        self.dropped = 0  # messages dropped because Redis was away too long, for tests and logs
        self.resyncs = 0  # times this process told its clients to resync
        self._dropped_namespaces: set[str] = set()
        self._queued = asyncio.Event()
        self._sender: asyncio.Task[None] | None = None
        self._publisher: Any = None

    # Publishing: never awaits Redis.

    async def _publish(self, data: Any) -> None:
        self.backlog.append(data)
        self._drop_beyond_limit()
        self._queued.set()
        if self._sender is None or self._sender.done():
            self._sender = asyncio.create_task(self._send_backlog())

    async def _send_backlog(self) -> None:
        self._publisher = redis.from_url(self.url, **redis_options())
        failures = 0
        while True:
            if not self.backlog:
                self._queued.clear()
                await self._queued.wait()
                continue
            batch = [self.backlog.popleft() for _ in range(min(BATCH, len(self.backlog)))]
            try:
                async with self._publisher.pipeline(transaction=False) as pipe:
                    for message in batch:
                        pipe.publish(self.channel, self.json.dumps(message))
                    await pipe.execute()
            except Exception as failure:  # Redis down or hanging: keep the messages and try again soon
                failures += 1
                if failures == 1:
                    logger.warning("cannot publish to Redis (%s); retrying", failure)
                self.backlog.extendleft(reversed(batch))  # first again, ahead of what came meanwhile
                self._drop_beyond_limit()
                await asyncio.sleep(retry_pause(failures))
                continue
            if failures:
                logger.warning("publishing to Redis again")
                failures = 0
            if not self.backlog and self._dropped_namespaces:
                # Other processes' clients missed what was dropped: they get it from the database.
                namespaces, self._dropped_namespaces = self._dropped_namespaces, set()
                for namespace in sorted(namespaces):
                    self.backlog.append(self._resync_message(namespace))

    def _drop_beyond_limit(self) -> None:
        while len(self.backlog) > self.backlog_limit:
            dropped = self.backlog.popleft()
            self._dropped_namespaces.add(dropped.get("namespace") or "/")
            self.dropped += 1
            if self.dropped % 1000 == 1:
                logger.warning("Redis is not taking messages: dropped %d; clients will catch up by seq", self.dropped)

    def _resync_message(self, namespace: str) -> dict[str, Any]:
        return {
            "method": "emit",
            "event": RESYNC,
            "data": [{}],
            "binary": False,
            "namespace": namespace,
            "room": None,
            "skip_sid": None,
            "callback": None,
            "host_id": self.host_id,
        }

    # Subscribing: back within about a second of Redis returning.

    async def _redis_listen_with_retries(self) -> Any:
        failures = 0
        while True:
            try:
                self._redis_connect()
                await asyncio.wait_for(self.pubsub.subscribe(self.channel), REDIS_TIMEOUT)
                if failures:
                    logger.warning("listening to Redis again")
                    await self._resync_own_clients()
                failures = 0
                async for message in self.pubsub.listen():
                    yield message
                raise ConnectionError("the subscription ended")  # subscribe again, after a pause
            except Exception as failure:
                failures += 1
                if failures == 1:
                    logger.warning("cannot listen to Redis (%s); retrying", failure)
                with contextlib.suppress(Exception):
                    await self.pubsub.aclose()
                    await self.redis.aclose()
                await asyncio.sleep(retry_pause(failures))

    async def _resync_own_clients(self) -> None:
        """Messages from other processes were lost while this one could not listen: its clients catch up."""
        self.resyncs += 1
        for namespace in list(self.rooms):
            await socketio.AsyncManager.emit(self, RESYNC, {}, namespace=namespace)

    async def close(self) -> None:
        if self._sender is not None:
            self._sender.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sender
        if self._publisher is not None:
            with contextlib.suppress(Exception):
                await self._publisher.aclose()
