"""Upgrading a filled SQLite database keeps every row. Alembic's batch mode rebuilds a table by copying it and
dropping the old one; with foreign keys on, that drop would cascade to every row pointing at it (an event's rooms
and sessions, an account's registrations and roles). server/migrations/env.py turns them off while migrating."""

from __future__ import annotations

import sqlite3

import pytest

from server.migrations import upgrade

pytestmark = pytest.mark.integration

ROWS = [
    "INSERT INTO event (id, slug, title, acronym, description, timezone, start_date, end_date, venue, city, country,"
    " languages, attendance, url, version) VALUES (1, 'old', 'Old', '', '', 'UTC', '2021-01-01', '2021-01-01', '',"
    " '', '', 'en', 'hybrid', '', 1)",
    "INSERT INTO room (id, event_id, slug, name, description, capacity, position) VALUES (1, 1, 'hall', 'Hall', '', 10, 0)",
    'INSERT INTO session (id, event_id, code, guid, title, abstract, kind, start, "end", room_id, language, position)'
    " VALUES (1, 1, 'S1', '00000000-0000-0000-0000-000000000001', 'S', '', 'parallel', '2021-01-01 09:00:00',"
    " '2021-01-01 10:00:00', 1, 'en', 0)",
    "INSERT INTO account (id, email, name, disabled, created_at) VALUES (1, 'a@example.org', 'A', 0, '2021-01-01')",
    "INSERT INTO eventrole (id, event_id, account_id, role) VALUES (1, 1, 1, 'organiser')",
    "INSERT INTO registration (id, event_id, account_id, name, email, country, organisation, job_title, attendance,"
    " language, accessibility_needs, listed, status, badge_nonce, feed_token, created_at) VALUES (1, 1, 1, 'A',"
    " 'a@example.org', 'ID', '', '', 'onsite', 'en', '', 0, 'confirmed', 'n', 't', '2021-01-01')",
    "INSERT INTO sessionchoice (id, event_id, registration_id, session_id, attendance, status, created_at) VALUES"
    " (1, 1, 1, 1, 'onsite', 'confirmed', '2021-01-01')",
]
TABLES = ("event", "room", "session", "account", "eventrole", "registration", "sessionchoice")


async def test_upgrading_a_filled_database_from_the_first_live_rooms_keeps_every_row(tmp_path):
    path = tmp_path / "old.db"
    url = f"sqlite+aiosqlite:///{path}"
    await upgrade(url, "0004")  # before the first migration that rebuilt a table (account, in 0005)
    with sqlite3.connect(path) as connection:
        for statement in ROWS:
            connection.execute(statement)

    await upgrade(url)

    with sqlite3.connect(path) as connection:
        counts = {table: connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in TABLES}  # noqa: S608
        violations = connection.execute("PRAGMA foreign_key_check").fetchall()
    assert counts == dict.fromkeys(TABLES, 1)
    assert violations == []
