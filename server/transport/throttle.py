"""A per-process limit on how often one person may repeat an action that writes (organisers' and moderators' forms)."""

from __future__ import annotations

import time
from collections import deque

from starlette.datastructures import State

from server.errors import RateLimited
from server.i18n import gettext as _


class Throttle:
    """At most ``per_minute`` actions for one key in any sixty seconds, in this process."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._seen: dict[str, deque[float]] = {}

    def check(self, key: str, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        if len(self._seen) > 10_000:
            self._seen = {k: times for k, times in self._seen.items() if times and now - times[-1] < 60}
        times = self._seen.setdefault(key, deque())
        while times and now - times[0] >= 60:
            times.popleft()
        if len(times) >= self.per_minute:
            raise RateLimited(_("Too many requests. Please wait a minute and try again."))
        times.append(now)


def throttle(state: State, name: str, per_minute: int) -> Throttle:
    """The app's throttle for ``name`` (kept on ``app.state``, so each app, and each test, has its own)."""
    throttles: dict[str, Throttle] | None = getattr(state, "throttles", None)
    if throttles is None:
        throttles = state.throttles = {}
    return throttles.setdefault(name, Throttle(per_minute))
