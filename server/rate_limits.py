"""Token buckets per person (or address) that every process shares through Redis: the live rooms' flood
limits, the forms' throttles and the relay's signalling limit. Redis is asked with a short timeout; when
it does not answer, the buckets of this process decide at once, and Redis is left alone for a moment, so
a frozen Redis never holds a request up for longer than one timeout."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

logger = logging.getLogger(__name__)

REDIS_TIMEOUT = 0.2  # seconds: a limit check waits no longer for Redis
REDIS_PAUSE = 1.0  # seconds between probes of a Redis that failed to answer
# Beyond this many buckets in a process, the full ones are forgotten, at most once a second (a scan of them all):
# a crowd joining leaves a bucket per guest that is full again a moment later.
FORGET_AFTER_KEYS = 1_000
FORGET_EVERY = 1.0


@dataclass(frozen=True, slots=True)
class Rate:
    """``per_second`` tokens a second, holding at most ``burst``."""

    per_second: float
    burst: float

    def times(self, factor: float) -> Rate:
        return Rate(self.per_second * factor, self.burst * factor)


@dataclass(frozen=True, slots=True)
class Claim:
    """One token from the bucket ``key``, which fills at ``rate``."""

    key: str
    rate: Rate


NEVER = 1e9  # seconds: the refill interval of a bucket that does not refill (a rate of zero)


def _interval(rate: Rate) -> float:
    return 1 / rate.per_second if rate.per_second > 0 else NEVER


class LocalBuckets:
    """This process's buckets: all the claims' tokens are taken, or none.

    Each bucket is one number, the moment it would be full again (the generic cell rate algorithm): with
    ``burst`` tokens refilled one every ``interval``, the bucket holds ``burst - (full_at - now) / interval``.
    A crowd's buckets cost a float each, and one whose moment has passed is what a new one would be: it is
    forgotten, at most once a second (a scan of them all) once there are many."""

    def __init__(self) -> None:
        self._full_at: dict[str, float] = {}
        self._forgotten_at = 0.0

    def take(self, claims: Sequence[Claim], now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        if len(self._full_at) > FORGET_AFTER_KEYS and now - self._forgotten_at >= FORGET_EVERY:
            self._forgotten_at = now
            self._full_at = {key: full_at for key, full_at in self._full_at.items() if full_at > now}
        taken = []
        for claim in claims:
            interval = _interval(claim.rate)
            full_at = max(self._full_at.get(claim.key, now), now)
            if full_at - now > (claim.rate.burst - 1) * interval + 1e-9:  # less than one token left
                return False
            taken.append((claim.key, full_at + interval))
        self._full_at.update(taken)
        return True

    def __len__(self) -> int:
        return len(self._full_at)


class BoundedRedis:
    """Redis scripts that give up after ``timeout`` seconds. After a failure no request asks Redis again
    until a background probe finds it answering (every ``pause`` seconds), so during an outage only the
    requests already waiting when it began wait, and for one timeout at most."""

    def __init__(self, url: str, *, timeout: float = REDIS_TIMEOUT, pause: float = REDIS_PAUSE) -> None:
        # Loaded only where Redis is configured: a single process without it never imports the client.
        import redis.asyncio as redis  # noqa: PLC0415
        from redis.asyncio.retry import Retry  # noqa: PLC0415
        from redis.backoff import NoBackoff  # noqa: PLC0415

        self.timeout = timeout
        self.pause = pause
        # redis-py's own timeouts only back up ``_answer``'s, which forgives a late wake-up of the loop.
        self.client: Any = redis.Redis.from_url(
            url, socket_timeout=2 * timeout, socket_connect_timeout=2 * timeout, retry=Retry(NoBackoff(), 0)
        )
        self.answering = True
        self._probe: asyncio.Task[None] | None = None

    def script(self, source: str) -> Any:
        return self.client.register_script(source)

    async def run(self, script: Any, *, keys: Sequence[str], args: Sequence[Any]) -> Any | None:
        """The script's answer, or None when Redis did not give one in time (or is known not to)."""
        if not self.answering:
            return None
        try:
            return await self._answer(asyncio.ensure_future(script(keys=list(keys), args=list(args))))
        except Exception as failure:  # noqa: BLE001 (any failure of Redis means: decide here)
            if self.answering:
                self.answering = False
                logger.warning("Redis did not answer a limit check (%r); using this process's limits", failure)
                self._probe = asyncio.get_running_loop().create_task(self._wait_until_answering())
            return None

    async def _answer(self, call: asyncio.Future[Any]) -> Any:
        await asyncio.wait({call}, timeout=self.timeout)
        if not call.done():
            # A loop that woke up late (a busy process) may have the answer read already: let it land
            # rather than call a Redis that answered in time down.
            await asyncio.sleep(0)
            await asyncio.sleep(0)
        if not call.done():
            call.cancel()
            raise TimeoutError(f"no answer within {self.timeout} s")
        return call.result()

    async def _wait_until_answering(self) -> None:
        while True:
            await asyncio.sleep(self.pause)
            try:
                await asyncio.wait_for(self.client.ping(), self.timeout)
            except Exception:  # noqa: BLE001, S112 (still down: probe again later)
                continue
            self.answering = True
            logger.warning("Redis answers limit checks again")
            return

    async def close(self) -> None:
        if self._probe is not None:
            self._probe.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._probe
        with contextlib.suppress(Exception):  # closing: nothing to do about a failure
            await asyncio.wait_for(self.client.aclose(), self.timeout)


# All or nothing over the claimed buckets, on Redis's clock (every process reads the same one).
# KEYS: the buckets; ARGV: per bucket, its rate per second and its burst.
TAKE_SCRIPT = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local levels = {}
for i = 1, #KEYS do
  local rate, burst = tonumber(ARGV[2 * i - 1]), tonumber(ARGV[2 * i])
  local state = redis.call('HMGET', KEYS[i], 'tokens', 'updated')
  local tokens = tonumber(state[1])
  if tokens == nil then
    tokens = burst
  else
    tokens = math.min(burst, tokens + math.max(0, now - tonumber(state[2])) * rate)
  end
  if tokens < 1 then
    return 0
  end
  levels[i] = tokens
end
for i = 1, #KEYS do
  local rate, burst = tonumber(ARGV[2 * i - 1]), tonumber(ARGV[2 * i])
  redis.call('HSET', KEYS[i], 'tokens', tostring(levels[i] - 1), 'updated', tostring(now))
  redis.call('PEXPIRE', KEYS[i], math.ceil(burst / rate * 1000) + 1000)
end
return 1
"""


class TokenBuckets:
    """Shared through Redis when there is one, per process otherwise (and while Redis does not answer)."""

    def __init__(self, redis: BoundedRedis | None, *, prefix: str) -> None:
        self.redis = redis
        self.prefix = prefix
        self.local = LocalBuckets()
        self._take = redis.script(TAKE_SCRIPT) if redis is not None else None

    async def take(self, claims: Sequence[Claim]) -> bool:
        """Takes a token from every claimed bucket and answers True, or takes none and answers False."""
        if self.redis is not None:
            keys = [f"{self.prefix}:bucket:{claim.key}" for claim in claims]
            args = [value for claim in claims for value in (claim.rate.per_second, claim.rate.burst)]
            answer = await self.redis.run(self._take, keys=keys, args=args)
            if answer is not None:
                return bool(answer)
        return self.local.take(claims)

    async def close(self) -> None:
        if self.redis is not None:
            await self.redis.close()


def installation_buckets(redis_url: str | None, *, database_url: str) -> TokenBuckets:
    """The buckets of one installation, named apart from other sites' that share the Redis server."""
    prefix = "podium-limits-" + hashlib.sha256(database_url.encode()).hexdigest()[:12]
    return TokenBuckets(BoundedRedis(redis_url) if redis_url else None, prefix=prefix)


class PerMinute:
    """At most ``per_minute`` actions per key at once, then one more every ``60 / per_minute`` seconds."""

    def __init__(self, buckets: TokenBuckets, name: str, per_minute: int) -> None:
        self.buckets = buckets
        self.name = name
        self.rate = Rate(per_minute / 60, per_minute)

    async def allow(self, key: str) -> bool:
        """Counts the action and answers True, or answers False (and counts nothing) when ``key`` is at its limit."""
        return await self.buckets.take([Claim(f"{self.name}:{key}", self.rate)])
