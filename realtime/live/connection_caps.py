"""At most so many open connections per person (and per address for guests), counted over every process.

With Redis, each counted key is a sorted set of the connections holding it, scored by when each entry
expires; every process renews its own entries, so a process killed with its connections open stops
counting within ``TTL`` seconds. Without Redis, or while it does not answer, this process counts alone."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from server.rate_limits import BoundedRedis

TTL = 30.0  # seconds an entry counts without being renewed
RENEW_EVERY = 10.0
RENEW_BATCH = 500  # entries per renewal call: no single script holds Redis up for long

# KEYS: the sets; ARGV[1]: the connection, ARGV[2]: the TTL, ARGV[2 + i]: the cap of KEYS[i].
CLAIM_SCRIPT = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local ttl = tonumber(ARGV[2])
for i = 1, #KEYS do
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now)
  if not redis.call('ZSCORE', KEYS[i], ARGV[1]) and redis.call('ZCARD', KEYS[i]) >= tonumber(ARGV[2 + i]) then
    return 0
  end
end
for i = 1, #KEYS do
  redis.call('ZADD', KEYS[i], now + ttl, ARGV[1])
  redis.call('EXPIRE', KEYS[i], math.ceil(ttl) + 1)
end
return 1
"""
# KEYS: the sets; ARGV[1]: the TTL, ARGV[1 + i]: the connection held in KEYS[i].
RENEW_SCRIPT = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local ttl = tonumber(ARGV[1])
for i = 1, #KEYS do
  redis.call('ZADD', KEYS[i], now + ttl, ARGV[1 + i])
  redis.call('EXPIRE', KEYS[i], math.ceil(ttl) + 1)
end
return 1
"""
# KEYS: the sets; ARGV[1]: the connection.
RELEASE_SCRIPT = """
for i = 1, #KEYS do
  redis.call('ZREM', KEYS[i], ARGV[1])
end
return 1
"""


@dataclass(frozen=True, slots=True)
class Cap:
    key: str
    most: int


class ConnectionCaps:
    def __init__(self, redis: BoundedRedis | None, *, prefix: str) -> None:
        self.redis = redis
        self.prefix = prefix
        self.process = uuid.uuid4().hex
        # key -> how many of this process's connections hold it; a count, not a set of them: a crowd of guests
        # is a key each, and a set apiece would cost each connection some 300 bytes (tests/bench, memory).
        self._held: dict[str, int] = {}
        self._caps_of: dict[str, tuple[Cap, ...]] = {}  # connection -> what it holds
        self._renewing: asyncio.Task[None] | None = None
        if redis is not None:
            self._claim, self._renew, self._release = (
                redis.script(CLAIM_SCRIPT),
                redis.script(RENEW_SCRIPT),
                redis.script(RELEASE_SCRIPT),
            )

    def _entry(self, sid: str) -> str:
        return f"{self.process}:{sid}"

    def _set(self, key: str) -> str:
        return f"{self.prefix}:connections:{key}"

    async def claim(self, sid: str, caps: Sequence[Cap]) -> bool:
        """Counts connection ``sid`` against every cap and answers True, or answers False and counts nothing
        when one of them is full."""
        if any(self._held.get(cap.key, 0) >= cap.most for cap in caps):
            return False
        if self.redis is not None:
            self._start_renewing()
            args = [self._entry(sid), TTL, *(cap.most for cap in caps)]
            answer = await self.redis.run(self._claim, keys=[self._set(cap.key) for cap in caps], args=args)
            if answer is not None and not answer:
                return False
        self._caps_of[sid] = tuple(caps)
        for cap in caps:
            self._held[cap.key] = self._held.get(cap.key, 0) + 1
        return True

    async def release(self, sid: str) -> None:
        caps = self._caps_of.pop(sid, ())
        for cap in caps:
            holders = self._held.get(cap.key, 0) - 1
            if holders > 0:
                self._held[cap.key] = holders
            else:
                self._held.pop(cap.key, None)
        if caps and self.redis is not None:  # if Redis misses this, the entry expires unrenewed
            await self.redis.run(self._release, keys=[self._set(cap.key) for cap in caps], args=[self._entry(sid)])

    def _start_renewing(self) -> None:
        if self._renewing is None or self._renewing.done():
            self._renewing = asyncio.get_running_loop().create_task(self._renew_forever())

    async def _renew_forever(self) -> None:
        assert self.redis is not None
        while True:
            await asyncio.sleep(RENEW_EVERY)
            entries = [(cap.key, sid) for sid, caps in list(self._caps_of.items()) for cap in caps]
            for start in range(0, len(entries), RENEW_BATCH):
                # Not one released since the list was made: renewing it would count it again for a TTL.
                batch = [(key, sid) for key, sid in entries[start : start + RENEW_BATCH] if sid in self._caps_of]
                if not batch:
                    continue
                keys = [self._set(key) for key, _sid in batch]
                await self.redis.run(self._renew, keys=keys, args=[TTL, *(self._entry(sid) for _key, sid in batch)])

    async def stop(self) -> None:
        if self._renewing is not None:
            self._renewing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._renewing
