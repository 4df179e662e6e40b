"""At most so many actions per key in any sixty seconds: the per-process limit behind signalling and form throttles."""

from __future__ import annotations

import time
from collections import deque

FORGET_AFTER_KEYS = 10_000  # beyond this many keys, those quiet for a minute are forgotten


class SlidingWindow:
    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._seen: dict[str, deque[float]] = {}

    def allow(self, key: str, now: float | None = None) -> bool:
        """Counts the action and answers True, or answers False (and counts nothing) when ``key`` is at its limit."""
        now = time.monotonic() if now is None else now
        if len(self._seen) > FORGET_AFTER_KEYS:
            self._seen = {k: times for k, times in self._seen.items() if times and now - times[-1] < 60}
        times = self._seen.setdefault(key, deque())
        while times and now - times[0] >= 60:
            times.popleft()
        if len(times) >= self.per_minute:
            return False
        times.append(now)
        return True
