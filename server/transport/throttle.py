"""How often one person may repeat an action that writes (organisers' and moderators' forms), counted over
every process through Redis when ``PODIUM_REDIS_URL`` is set (server/rate_limits.py)."""

from __future__ import annotations

from server.app_services import Services
from server.errors import RateLimited
from server.i18n import gettext as _
from server.rate_limits import PerMinute


class Throttle(PerMinute):
    async def check(self, key: str) -> None:
        if not await self.allow(key):
            raise RateLimited(_("Too many requests. Please wait a minute and try again."))


def throttle(services: Services, name: str, per_minute: int) -> Throttle:
    """The app's throttle for ``name``, on the app's buckets (``Services.rate_limits``, so each app, and
    each test, has its own)."""
    return services.throttles.setdefault(name, Throttle(services.rate_limits, name, per_minute))
