"""How often one person may repeat an action that writes (organisers' and moderators' forms), counted over
every process through Redis when ``PODIUM_REDIS_URL`` is set (server/rate_limits.py)."""

from __future__ import annotations

from starlette.datastructures import State

from server.errors import RateLimited
from server.i18n import gettext as _
from server.rate_limits import PerMinute, TokenBuckets


class Throttle(PerMinute):
    async def check(self, key: str) -> None:
        if not await self.allow(key):
            raise RateLimited(_("Too many requests. Please wait a minute and try again."))


def throttle(state: State, name: str, per_minute: int) -> Throttle:
    """The app's throttle for ``name``, on the app's buckets (``app.state.rate_limits``, so each app, and
    each test, has its own)."""
    throttles: dict[str, Throttle] | None = getattr(state, "throttles", None)
    if throttles is None:
        throttles = state.throttles = {}
    buckets: TokenBuckets = state.rate_limits
    return throttles.setdefault(name, Throttle(buckets, name, per_minute))
