"""Migration 0009 on a database holding an event from before it: the event gets the kinds its sessions use, in
the built-in order, and its rooms, tracks and people keep their values with a first version."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from server.db import Database
from server.migrations import upgrade
from tests.support.databases import create_postgres_database, drop_postgres_database

pytestmark = pytest.mark.integration


@pytest.fixture
async def old_database_url(backend, tmp_path, request):
    """A database migrated only to 0006, before kinds were per event."""
    if backend == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
        await upgrade(url, "0006")
        yield url
        return
    admin_url = request.getfixturevalue("postgres_server")
    raw = await create_postgres_database(admin_url)
    url = raw.replace("postgresql://", "postgresql+asyncpg://", 1)
    await upgrade(url, "0006")
    try:
        yield url
    finally:
        await drop_postgres_database(admin_url, raw)


@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
async def test_existing_event_gets_the_kinds_its_sessions_use(old_database_url):
    database = Database(old_database_url)
    async with database.engine.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO event (id, slug, title, acronym, description, timezone, start_date, end_date, venue, city,"
                " country, languages, attendance, url, version) VALUES (1, 'old', 'Old', '', '', 'UTC', '2021-01-01',"
                " '2021-01-01', '', '', '', 'en', 'hybrid', '', 3)"
            )
        )
        await connection.execute(
            text(
                "INSERT INTO room (id, event_id, slug, name, description, capacity, position) VALUES (1, 1, 'hall', 'Hall', '', 10, 0)"
            )
        )
        for number, kind in enumerate(["break", "parallel", "break", "plenary"]):
            await connection.execute(
                text(
                    'INSERT INTO session (event_id, code, guid, title, abstract, kind, start, "end", room_id, language,'
                    " position) VALUES (1, :code, :guid, 'S', '', :kind, '2021-01-01 09:00:00', '2021-01-01 10:00:00',"
                    " 1, 'en', 0)"
                ),
                {"code": f"S{number}", "guid": f"00000000-0000-0000-0000-00000000000{number}", "kind": kind},
            )
    await database.dispose()

    await upgrade(old_database_url)

    database = Database(old_database_url)
    async with database.engine.connect() as connection:
        kinds = (
            await connection.execute(
                text("SELECT slug, name, color, behaviour, position FROM eventsessionkind ORDER BY position")
            )
        ).all()
        room = (await connection.execute(text("SELECT capacity, streamed, version FROM room"))).one()
    await database.dispose()
    assert [tuple(row) for row in kinds] == [
        ("plenary", "Plenary", "", "plenary", 0),
        ("parallel", "Parallel session", "", "parallel", 1),
        ("break", "Break", "", "break", 2),
    ]
    assert (room[0], bool(room[1]), room[2]) == (10, False, 1)
