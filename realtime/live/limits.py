"""Flood limits per connection: token buckets, checked before anything reaches the database."""

from __future__ import annotations

import time
from dataclasses import dataclass, field


@dataclass(slots=True)
class Bucket:
    """``rate`` tokens per second, holding at most ``burst``."""

    rate: float
    burst: float
    tokens: float = -1.0
    updated: float = field(default_factory=time.monotonic)

    def take(self, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        if self.tokens < 0:  # first use: a full bucket
            self.tokens, self.updated = self.burst, now
        self.tokens = min(self.burst, self.tokens + max(0.0, now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


# Requests of any kind, then the writes people make by hand (see PROTOCOL.md, "Limits").
LIMITS: dict[str, tuple[float, float]] = {
    "any": (20.0, 40.0),
    "ask": (5 / 60, 5.0),
    "chat": (10 / 30, 10.0),
    "vote": (6.0, 60.0),
}
# A connection refused this many times keeps flooding: it is disconnected.
MAX_REFUSALS = 200


@dataclass(slots=True)
class Limits:
    buckets: dict[str, Bucket] = field(default_factory=dict)  # made on first use: most people only listen
    refusals: int = 0

    def allow(self, name: str) -> bool:
        bucket = self.buckets.get(name)
        if bucket is None:
            bucket = self.buckets[name] = Bucket(*LIMITS[name])
        allowed = bucket.take()
        if not allowed:
            self.refusals += 1
        return allowed

    @property
    def flooding(self) -> bool:
        return self.refusals > MAX_REFUSALS
