"""The live server keeps each room's headcount once a minute for the organisers' viewers over time."""

from __future__ import annotations

import asyncio

import pytest
from sqlmodel import select

from realtime.live.coalescer import Coalescer
from realtime.live.presence import Presence
from server.live.models import ViewerSample
from tests.support.factories import event_by_slug, sessions_of

pytestmark = pytest.mark.integration


async def _ignore(*_args: object) -> None:
    return None


async def test_each_occupied_room_is_sampled_once_a_minute(database, demo_event):
    async with database.session() as db:
        first, second = (await sessions_of(db, await event_by_slug(db, demo_event)))[:2]
    presence = Presence()
    presence.enter(first.id, "a1", "online")
    presence.enter(first.id, "a2", "onsite")
    presence.enter(first.id, "a2", "onsite")  # a second tab of the same person
    presence.enter(second.id, "a3", "online")
    presence.leave(second.id, "a3")  # gone again: an empty room is not sampled
    coalescer = Coalescer(database, presence, _ignore, interval=0.01, sample_every=0.05)

    coalescer.start()
    await asyncio.sleep(0.3)  # several samples in the same minute: the first stays
    await coalescer.stop()

    async with database.session() as db:
        rows = (await db.exec(select(ViewerSample))).all()
    # One row (two if the clock turned a minute meanwhile), seconds cut off, the person with two tabs counted once.
    assert {(row.session_id, row.connected, row.online, row.minute.second) for row in rows} == {(first.id, 2, 1, 0)}
    assert 1 <= len(rows) <= 2
