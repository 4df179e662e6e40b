"""Messages between live-room processes over Redis, which is only the fast path, never in the way of this
process's clients: python-socketio delivers to them first, then publishes; here the publish only queues
the message, and a background task sends the queue to Redis, every call bounded (redis_client.py). What
Redis could not carry, clients get back from the database: a process that could not listen, or had to drop
queued messages, has the clients concerned told to ``resync`` (PROTOCOL.md), and they join again with
``since_seq``."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from typing import Any

import redis.asyncio as redis
import socketio

from realtime.live.redis_client import REDIS_TIMEOUT, redis_options, retry_pause

logger = logging.getLogger(__name__)

RESYNC = "resync"  # the event that tells clients to join again with since_seq (PROTOCOL.md)
BACKLOG = 5000  # messages waiting for Redis at most; beyond it the oldest go (clients catch up by seq)
BATCH = 200  # messages sent to Redis in one round trip


class RedisBus(socketio.AsyncRedisManager):
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
