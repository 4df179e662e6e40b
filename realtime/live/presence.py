"""Who is connected to each room. One process counts its own connections; with Redis, each process
also publishes its room members under its own field, and the room's count is the union of the
fields still fresh (a crashed process's field ages out)."""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from typing import Any

from realtime.live.redis_client import redis_options
from server.registration.models import Attendance

logger = logging.getLogger(__name__)

STALE_AFTER = 30.0  # seconds without a refresh before a process's members stop counting
REFRESH_EVERY = 10.0
# Seconds presence leaves Redis alone after a failure: while it hangs, each try costs the counts loop a timeout.
RETRY_REDIS_AFTER = 5.0


@dataclass(frozen=True)
class Headcount:
    connected: int
    online: int


class Presence:
    def __init__(self, redis_url: str | None = None, *, prefix: str = "podium-live") -> None:
        self.process = uuid.uuid4().hex
        self.prefix = prefix
        # session id -> participant key -> connections, and the participant's origin
        self._connections: dict[int, Counter[str]] = {}
        self._origins: dict[int, dict[str, str]] = {}
        self._redis: Any = None
        self._published: dict[int, float] = {}
        self._online: dict[int, int] = {}
        self._last: dict[int, Headcount] = {}
        self._redis_back_at = 0.0  # after a failure, Redis is left alone until then (monotonic clock)
        if redis_url:
            import redis.asyncio as redis  # noqa: PLC0415 -- loaded only where Redis is configured

            self._redis = redis.from_url(redis_url, **redis_options())

    def enter(self, session_id: int, key: str, origin: str) -> None:
        members = self._connections.setdefault(session_id, Counter())
        members[key] += 1
        if members[key] == 1:
            self._origins.setdefault(session_id, {})[key] = origin
            if origin == Attendance.online:
                self._online[session_id] = self._online.get(session_id, 0) + 1

    def leave(self, session_id: int, key: str) -> None:
        members = self._connections.get(session_id)
        if members is None or members[key] <= 0:
            return
        members[key] -= 1
        if members[key] == 0:
            del members[key]
            if self._origins[session_id].pop(key) == Attendance.online:
                self._online[session_id] -= 1
        if not members:
            del self._connections[session_id]
            del self._origins[session_id]
            self._online.pop(session_id, None)

    def rooms(self) -> list[int]:
        """The rooms this process has anyone in."""
        return list(self._connections)

    def local(self, session_id: int) -> Headcount:
        """This process's people in the room, counted as they come and go."""
        return Headcount(connected=len(self._origins.get(session_id, ())), online=self._online.get(session_id, 0))

    def last(self, session_id: int) -> Headcount:
        """The room's headcount as last computed (across processes), or this process's own."""
        return self._last.get(session_id) or self.local(session_id)

    async def headcount(self, session_id: int) -> Headcount:
        """This room's people across processes; publishes this process's share first."""
        if self._redis is None:
            return self.local(session_id)
        if time.monotonic() < self._redis_back_at:
            return self.last(session_id)
        try:
            members = await self._shared(session_id, dict(self._origins.get(session_id, {})))
        except Exception as failure:  # Redis down or hanging: counts still go out, with the last headcount
            if self._redis_back_at == 0.0:
                logger.warning("cannot count presence in Redis (%s); using the last count", failure)
            self._redis_back_at = time.monotonic() + RETRY_REDIS_AFTER
            return self.last(session_id)
        self._redis_back_at = 0.0
        online = sum(1 for origin in members.values() if origin == Attendance.online)
        self._last[session_id] = Headcount(connected=len(members), online=online)
        return self._last[session_id]

    async def _shared(self, session_id: int, members: dict[str, str]) -> dict[str, str]:
        key = f"{self.prefix}:presence:{session_id}"
        now = time.time()
        value = json.dumps({"at": now, "members": members}, separators=(",", ":"))
        if members:
            await self._redis.hset(key, self.process, value)
        else:
            await self._redis.hdel(key, self.process)
        await self._redis.expire(key, int(STALE_AFTER * 4))
        self._published[session_id] = now
        union: dict[str, str] = {}
        for raw in (await self._redis.hgetall(key)).values():
            share = json.loads(raw)
            if now - float(share["at"]) <= STALE_AFTER:
                union.update(share["members"])
        return union

    def due_for_refresh(self) -> list[int]:
        """Rooms whose shared record would soon go stale (Redis only)."""
        if self._redis is None:
            return []
        now = time.time()
        return [room for room in self._connections if now - self._published.get(room, 0.0) >= REFRESH_EVERY]

    async def close(self) -> None:
        if self._redis is not None:
            try:
                for session_id in list(self._connections):
                    await self._redis.hdel(f"{self.prefix}:presence:{session_id}", self.process)
            except Exception:  # Redis away: this process's share ages out by itself (STALE_AFTER)
                logger.warning("could not withdraw presence from Redis")
            await self._redis.aclose()
