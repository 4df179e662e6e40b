"""The database engine: SQLite (WAL) by default, PostgreSQL at scale, the same code on both."""

from __future__ import annotations

import asyncio
import contextvars
import threading
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import Connection, Engine, Row, create_engine, event
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.pool import SingletonThreadPool
from sqlalchemy.sql import Executable
from sqlmodel.ext.asyncio.session import AsyncSession

# Counts statements per task, so tests can guard pages against N+1 queries.
_query_counter: contextvars.ContextVar[list[int] | None] = contextvars.ContextVar("query_counter", default=None)


WRITE_LOCK_OPTION = "podium_write_lock"
WRITE_QUEUE = "podium_write_queue"
HOLDS_QUEUE = "podium_holds_write_queue"
RELEASES_QUEUE = "podium_releases_write_queue"
LATEST_READER = "podium_latest_reader"

AnyRow = Row[*tuple[Any, ...]]  # a row of any columns


def _apply_sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # The driver's own implicit BEGIN is turned off so that _begin_sqlite chooses the kind of BEGIN.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _begin_sqlite(connection: Any) -> None:
    # A read-then-write (seats, votes) must hold the write lock from its first read: BEGIN IMMEDIATE.
    immediate = connection.get_execution_options().get(WRITE_LOCK_OPTION, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def count_statement(*_args: Any, **_kwargs: Any) -> None:
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
            event.listen(self.engine.sync_engine, "begin", _begin_sqlite)
        event.listen(self.engine.sync_engine, "before_cursor_execute", count_statement)
        # SQLite has one writer at a time: queueing writers here, in order, beats every connection
        # polling the file lock (busy_timeout), which starves some of them under a burst.
        # On PostgreSQL the queue keeps writers that would wait on the same row lock from holding every
        # pooled connection meanwhile (a burst of picks for one session would time out the pool).
        info: dict[str, Any] = {WRITE_QUEUE: asyncio.Lock()}
        path = self.engine.url.database
        self.latest: LatestReader | None = None
        if self.is_sqlite and path and path != ":memory:":
            self.latest = info[LATEST_READER] = LatestReader(path)
        self._sessions = async_sessionmaker(self.engine, class_=AsyncSession, expire_on_commit=False, info=info)

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        async with self._sessions() as db:
            yield db

    async def dispose(self) -> None:
        await self.engine.dispose()
        if self.latest is not None:
            self.latest.close()


class LatestReader:
    """Reads of the latest commit for paths a crowd runs at once (a live room's handshake and join): a
    read-only SQLite connection per thread, kept open and used in the calling thread, one autocommitted
    statement at a time. An indexed read takes tens of microseconds there; through the async driver every
    statement costs several round trips to a worker thread, and under load the hand-over of the GIL costs
    more than the read (the agenda's event stamps found the same, server/transport/event_stamps.py). A WAL
    reader never waits for writers."""

    def __init__(self, path: str) -> None:
        self.engine: Engine = create_engine(
            f"sqlite:///{path}",
            poolclass=SingletonThreadPool,
            connect_args={"check_same_thread": False},
            isolation_level="AUTOCOMMIT",
        )
        event.listen(self.engine, "connect", _read_only_sqlite)
        event.listen(self.engine, "before_cursor_execute", count_statement)
        self._local = threading.local()

    def rows(self, statement: Executable, params: Mapping[str, Any] | None = None) -> Sequence[AnyRow]:
        connection: Connection | None = getattr(self._local, "connection", None)
        if connection is None or connection.closed:
            connection = self._local.connection = self.engine.connect()
        return connection.execute(statement, params).all()  # all rows read: no statement stays open

    def close(self) -> None:
        self.engine.dispose()


def _read_only_sqlite(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA query_only=1")
    cursor.execute("PRAGMA busy_timeout=200")
    cursor.close()


async def read_latest(
    db: AsyncSession, statement: Executable, params: Mapping[str, Any] | None = None
) -> Sequence[AnyRow]:
    """The rows of ``statement`` (a Core select; entities come back as rows of their columns) as last
    committed: through the database's ``LatestReader`` on SQLite, outside ``db``'s transaction; elsewhere
    (PostgreSQL reads what is committed at each statement) through ``db``'s connection when it has a
    transaction open, else autocommitted on a pooled connection, which spares a BEGIN and a COMMIT round
    trip. For reads that need no transaction around them. Hot paths build their statement once, with
    ``bindparam``s filled from ``params``: building and keying a statement costs several times what running
    it costs."""
    reader: LatestReader | None = db.sync_session.info.get(LATEST_READER)
    if reader is not None:
        return reader.rows(statement, params)
    if db.in_transaction() or not isinstance(db.bind, AsyncEngine):
        connection = await db.connection()
        return (await connection.execute(statement, params)).all()
    return await autocommitted_rows(db.bind, statement, params)


async def autocommitted_rows(
    engine: AsyncEngine, statement: Executable, params: Mapping[str, Any] | None = None
) -> Sequence[AnyRow]:
    """One statement on a pooled connection in autocommit: no session, and no BEGIN and COMMIT round trips."""
    async with engine.connect() as pooled:
        autocommit = await pooled.execution_options(isolation_level="AUTOCOMMIT")
        return (await autocommit.execute(statement, params)).all()


def reads_in_process(db: AsyncSession) -> bool:
    """Whether ``read_latest`` reads in the calling thread (SQLite's ``LatestReader``: microseconds) rather
    than with a round trip to a database server."""
    return db.sync_session.info.get(LATEST_READER) is not None


async def begin_write(db: AsyncSession) -> None:
    """Start ``db``'s write transaction: BEGIN IMMEDIATE on SQLite, after this process's earlier writers.

    Call it before the first statement of a read-then-write: on SQLite (WAL) a transaction that read and
    then writes after another commit fails at once ("database is locked"), whatever the busy timeout.
    A read-only transaction still open (the caller looked up the event or the account) is committed
    first. On PostgreSQL, services also lock the rows they read with ``SELECT ... FOR UPDATE``.
    """
    if db.in_transaction():
        if db.new or db.dirty or db.deleted:
            raise RuntimeError("begin_write must come before the transaction's first write")
        await db.commit()
    info = db.sync_session.info
    queue: asyncio.Lock | None = info.get(WRITE_QUEUE)
    if queue is not None:
        await queue.acquire()
        info[HOLDS_QUEUE] = True
        if not info.get(RELEASES_QUEUE):
            event.listen(db.sync_session, "after_transaction_end", _release_write_queue)
            info[RELEASES_QUEUE] = True
    try:
        await db.connection(execution_options={WRITE_LOCK_OPTION: True})
    except BaseException:
        _release_write_queue(db.sync_session, None)
        raise


def _release_write_queue(session: Any, transaction: Any) -> None:
    if transaction is not None and transaction.parent is not None:
        return
    if session.info.pop(HOLDS_QUEUE, False):
        session.info[WRITE_QUEUE].release()


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
