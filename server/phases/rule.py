"""The one rule that says what phase a session is in, from its schedule, the relay and its replay."""

from __future__ import annotations

import datetime as dt
import enum

from server import clock

STARTING_SOON = dt.timedelta(minutes=15)  # before the start: "starting soon" rather than "upcoming"


class Phase(enum.StrEnum):
    upcoming = "upcoming"
    starting_soon = "starting_soon"
    live = "live"
    ended = "ended"
    replay = "replay"  # ended, and its replay is ready and published
    cancelled = "cancelled"


def current_time() -> dt.datetime:
    """The phases' "now": ``server.clock``'s, read through here so that a test moves it for the phases alone."""
    return clock.utcnow()


def phase_of(
    *,
    start: dt.datetime,
    end: dt.datetime,
    cancelled: bool,
    streamed: bool,
    on_air: bool,
    replay_ready: bool,
    now: dt.datetime,
) -> Phase:
    """A session's phase at ``now``.

    - cancelled wins over everything;
    - media on the relay (a publisher sending, a recording playing) makes it live whatever the clock says, so a
      label never says "ended" over a picture that plays, nor "live" over a player that has nothing to show;
    - in its scheduled time without media, a streamed room's session is "starting soon" (its stream is awaited),
      an unstreamed room's is live (it runs on site);
    - after its end, "replay" once a published replay is ready, else "ended".
    """
    if cancelled:
        return Phase.cancelled
    if on_air:
        return Phase.live
    if now >= end:
        return Phase.replay if replay_ready else Phase.ended
    if now < start - STARTING_SOON:
        return Phase.upcoming
    if now < start or streamed:
        return Phase.starting_soon
    return Phase.live
