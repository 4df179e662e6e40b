"""The one read a cached page needs per request: its event's id, version and whether it is published, by slug."""

from __future__ import annotations

import sqlite3
import weakref
from dataclasses import dataclass

from sqlalchemy import bindparam
from sqlalchemy.dialects.sqlite import dialect as sqlite_dialect
from sqlmodel import select
from starlette.applications import Starlette

from server.app_services import services_of
from server.db import Database, autocommitted_rows, count_statement
from server.events.models import Event


@dataclass(frozen=True)
class EventStamp:
    """What a cached page needs to know of its event on every request."""

    id: int
    version: int
    published: bool


class EventStamps:
    """Reads an event's id and version by slug, once per request, in one statement.

    On SQLite this is a synchronous read on a connection of its own in the event loop's thread: it takes
    microseconds, and a WAL reader never waits for writers. Going through aiosqlite would cost several
    worker-thread round trips, which under load (the GIL handing over between threads) cost more than
    rendering the page did. Other databases use the async session: one round trip, no threads.
    """

    def __init__(self, database: Database) -> None:
        self.database = database
        self._sqlite: sqlite3.Connection | None = None
        path = database.engine.url.database
        self._sqlite_path = path if database.is_sqlite and path and path != ":memory:" else None
        self._query = select(Event.id, Event.version, Event.published).where(Event.slug == bindparam("slug"))
        self._sqlite_sql = str(self._query.compile(dialect=sqlite_dialect()))

    async def get(self, slug: str) -> EventStamp | None:
        if self._sqlite_path is not None:
            row = self._read_sqlite(slug)
        else:
            rows = await autocommitted_rows(self.database.engine, self._query, {"slug": slug})
            row = rows[0] if rows else None
        if row is None or row[0] is None:
            return None
        return EventStamp(id=row[0], version=row[1], published=bool(row[2]))

    def _read_sqlite(self, slug: str) -> tuple[int | None, int, bool] | None:
        if self._sqlite is None:
            assert self._sqlite_path is not None
            # Autocommit, so every read sees the latest commit rather than an old snapshot.
            connection = sqlite3.connect(self._sqlite_path, check_same_thread=False, isolation_level=None)
            connection.execute("PRAGMA query_only = 1")
            connection.execute("PRAGMA busy_timeout = 200")
            weakref.finalize(self, connection.close)
            self._sqlite = connection
        count_statement()
        row: tuple[int | None, int, bool] | None = self._sqlite.execute(self._sqlite_sql, (slug,)).fetchone()
        return row


def for_app(app: Starlette) -> EventStamps:
    """One reader per application, on the application's database."""
    services = services_of(app)
    if services.event_stamps is None:
        services.event_stamps = EventStamps(services.database)
    return services.event_stamps
