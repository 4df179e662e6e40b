"""The same storage code on SQLite and PostgreSQL: migrations, the demo import, the programme read model."""

import pytest
from sqlalchemy import text

from server.agenda.services import load_programme
from server.db import QueryCounter
from server.events.services import get_event, list_events

pytestmark = pytest.mark.integration
BOTH = pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)


@BOTH
async def test_storage_demo_event_round_trips_through_the_database(database, demo_event):
    async with database.session() as db:
        event = await get_event(db, slug=demo_event)
        programme = await load_programme(db, event=event)

    assert event.timezone == "Asia/Shanghai"
    assert [day.isoformat() for day in event.days] == ["2021-10-27", "2021-10-28"]
    first = programme.sessions[0]
    assert first.local_start(programme.zone).date().isoformat() == "2021-10-27"
    assert first.session.start.utcoffset() is not None
    assert all(view.session.end > view.session.start for view in programme.sessions)


@BOTH
async def test_storage_programme_loads_in_constant_queries(database, demo_event):
    async with database.session() as db:
        event = await get_event(db, slug=demo_event)
        with QueryCounter() as counted:
            programme = await load_programme(db, event=event)

    assert len(programme.sessions) > 30
    assert counted.count == 7  # rooms, tracks, kinds, people, sessions, their speakers, materials


@BOTH
async def test_storage_unknown_event_is_not_found(database):
    from server.errors import NotFound

    async with database.session() as db:
        assert await list_events(db) == []
        with pytest.raises(NotFound, match="no event called 'elsewhere'"):
            await get_event(db, slug="elsewhere")


async def test_storage_sqlite_pragmas_are_set(database):
    async with database.session() as db:
        journal = (await db.execute(text("PRAGMA journal_mode"))).scalar()
        synchronous = (await db.execute(text("PRAGMA synchronous"))).scalar()
        foreign_keys = (await db.execute(text("PRAGMA foreign_keys"))).scalar()
        busy = (await db.execute(text("PRAGMA busy_timeout"))).scalar()

    assert (journal, synchronous, foreign_keys, busy) == ("wal", 2, 1, 10000)
