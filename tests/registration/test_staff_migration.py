"""Migration 0011 on a database with rows: existing live settings, rooms and chat messages keep working (chat on,
version 1, messages shown), and the migration goes down and up again."""

from __future__ import annotations

import asyncio

import pytest
from alembic import command
from sqlalchemy import text

from server.db import Database
from server.migrations import alembic_config, upgrade

pytestmark = [pytest.mark.integration, pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)]


async def test_migration_keeps_existing_live_rows_working(database_url: str, demo_event: str) -> None:
    await asyncio.to_thread(command.downgrade, alembic_config(database_url), "0006")
    database = Database(database_url)
    try:
        async with database.engine.begin() as connection:
            event_id = (await connection.execute(text("SELECT id FROM event"))).scalar_one()
            session_id = (await connection.execute(text("SELECT min(id) FROM session"))).scalar_one()
            await connection.execute(
                text(
                    "INSERT INTO livesettings (event_id, anonymous_guests, online_entry, moderated) VALUES (:e, :t, 'event', :t)"
                ),
                {"e": event_id, "t": True},
            )
            await connection.execute(
                text(
                    "INSERT INTO liveroom (session_id, event_id, seq, moderated, qa_open, chat_open) "
                    "VALUES (:s, :e, 0, :t, :t, :t)"
                ),
                {"s": session_id, "e": event_id, "t": True},
            )
            await connection.execute(
                text(
                    "INSERT INTO chatmessage (event_id, session_id, author_key, author_name, origin, country, text, "
                    "client_id, created_at) VALUES (:e, :s, 'g1', 'Guest', 'onsite', '', 'Hi', 'c1', CURRENT_TIMESTAMP)"
                ),
                {"s": session_id, "e": event_id},
            )
    finally:
        await database.dispose()

    await upgrade(database_url)

    database = Database(database_url)
    try:
        async with database.engine.connect() as connection:
            settings = (await connection.execute(text("SELECT chat, participants, version FROM livesettings"))).one()
            room = (await connection.execute(text("SELECT chat_reviewed FROM liveroom"))).one()
            message = (await connection.execute(text("SELECT status FROM chatmessage"))).one()
    finally:
        await database.dispose()
    assert tuple(settings) == ("on", "listed", 1)
    assert tuple(room) == (False,)
    assert tuple(message) == ("shown",)
