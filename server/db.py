"""The database engine: SQLite (WAL) by default, PostgreSQL at scale, the same code on both."""

from __future__ import annotations

import contextvars
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

# Counts statements per task, so tests can guard pages against N+1 queries.
_query_counter: contextvars.ContextVar[list[int] | None] = contextvars.ContextVar("query_counter", default=None)


def _apply_sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _count_statement(*_args: Any, **_kwargs: Any) -> None:
    counter = _query_counter.get()
    if counter is not None:
        counter[0] += 1


class Database:
    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        options: dict[str, Any] = {"echo": echo}
        if not self.is_sqlite:
            options.update(pool_size=10, max_overflow=20, pool_pre_ping=True)
        self.engine: AsyncEngine = create_async_engine(url, **options)
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _apply_sqlite_pragmas)
        event.listen(self.engine.sync_engine, "before_cursor_execute", _count_statement)
        self._sessions = async_sessionmaker(self.engine, class_=AsyncSession, expire_on_commit=False)

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        async with self._sessions() as db:
            yield db

    async def dispose(self) -> None:
        await self.engine.dispose()


class QueryCounter:
    """``with QueryCounter() as counted: ...; counted.count`` — statements run by this task."""

    def __init__(self) -> None:
        self._cell = [0]
        self._token: contextvars.Token[list[int] | None] | None = None

    @property
    def count(self) -> int:
        return self._cell[0]

    def __enter__(self) -> QueryCounter:
        self._token = _query_counter.set(self._cell)
        return self

    def __exit__(self, *_exc: object) -> None:
        if self._token is not None:
            _query_counter.reset(self._token)
