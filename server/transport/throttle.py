"""A per-process limit on how often one person may repeat an action that writes (organisers' and moderators' forms)."""

from __future__ import annotations

from starlette.datastructures import State

from server.errors import RateLimited
from server.i18n import gettext as _
from server.sliding_window import SlidingWindow


class Throttle(SlidingWindow):
    """At most ``per_minute`` actions for one key in any sixty seconds, in this process."""

    def check(self, key: str, now: float | None = None) -> None:
        if not self.allow(key, now):
            raise RateLimited(_("Too many requests. Please wait a minute and try again."))


def throttle(state: State, name: str, per_minute: int) -> Throttle:
    """The app's throttle for ``name`` (kept on ``app.state``, so each app, and each test, has its own)."""
    throttles: dict[str, Throttle] | None = getattr(state, "throttles", None)
    if throttles is None:
        throttles = state.throttles = {}
    return throttles.setdefault(name, Throttle(per_minute))
