"""The coalescer's presence news: less often in big rooms."""

from __future__ import annotations

import pytest

from realtime.live.coalescer import PRESENCE_SENDS_PER_SECOND, Coalescer
from realtime.live.presence import Presence
from server.db import Database

pytestmark = pytest.mark.unit


async def test_presence_news_waits_longer_in_big_rooms() -> None:
    """A crowd arriving would otherwise cost every person in the room a message a second."""
    presence = Presence()
    for n in range(3):
        presence.enter(1, f"g{n}", "onsite")
    for n in range(3000):
        presence.enter(2, f"g{n}", "online")
    database = Database("sqlite+aiosqlite://")
    coalescer = Coalescer(database, presence, _ignore, presence_every=1.0)

    waits = (coalescer._presence_wait(1), coalescer._presence_wait(2))

    await database.dispose()
    assert waits == (1.0, 3000 / PRESENCE_SENDS_PER_SECOND)


async def _ignore(*_args: object) -> None:
    return None
