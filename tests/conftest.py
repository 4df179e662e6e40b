"""Shared fixtures: a migrated database (SQLite, or PostgreSQL in CI), the demo event, the app, a live server."""

from __future__ import annotations

import asyncio
import os
import socket
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from server.app import create_app
from server.db import Database
from server.migrations import upgrade
from server.settings import Settings
from tests.ports import free_port

IN_CI = os.environ.get("CI", "").lower() == "true"
POSTGRES_ADMIN_URL = os.environ.get("PODIUM_TEST_POSTGRES_URL", "postgresql://root@127.0.0.1:5432/test")


def require(service: str, available: bool) -> None:
    """Skip on a bare machine; in CI a missing service is a failure, never a skip."""
    if available:
        return
    if IN_CI:
        pytest.fail(f"{service} is required when CI=true but is not reachable")
    pytest.skip(f"{service} is not available on this machine")


def port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture(scope="session")
def postgres_server() -> str:
    require("PostgreSQL", port_open("127.0.0.1", 5432))
    return POSTGRES_ADMIN_URL


async def _create_postgres_database(admin_url: str) -> str:
    import asyncpg

    name = f"podium_test_{uuid.uuid4().hex[:12]}"
    connection = await asyncpg.connect(admin_url)
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return admin_url.rsplit("/", 1)[0] + f"/{name}"


async def _drop_postgres_database(admin_url: str, url: str) -> None:
    import asyncpg

    name = url.rsplit("/", 1)[1]
    connection = await asyncpg.connect(admin_url)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


@pytest.fixture(params=["sqlite"])
def backend(request: pytest.FixtureRequest) -> str:
    """Override with ``@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)``."""
    return str(request.param)


@pytest.fixture
async def database_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[str]:
    if backend == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'podium.db'}"
        await upgrade(url)
        yield url
        return
    if backend == "private_postgres":  # a cluster of the test's own, to crash and restart (tests/faults.py)
        admin_url = request.getfixturevalue("private_postgres").admin_url
    else:
        admin_url = request.getfixturevalue("postgres_server")
    raw = await _create_postgres_database(admin_url)
    url = raw.replace("postgresql://", "postgresql+asyncpg://", 1)
    await upgrade(url)
    try:
        yield url
    finally:
        await _drop_postgres_database(admin_url, raw)


@pytest.fixture
def private_postgres() -> Iterator[Any]:
    from tests.faults import PrivatePostgres

    cluster = PrivatePostgres()
    yield cluster
    cluster.stop()


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings.from_env({"PODIUM_ENV": "test", "PODIUM_DATABASE_URL": database_url})


@pytest.fixture
async def database(settings: Settings) -> AsyncIterator[Database]:
    database = Database(settings.database_url)
    yield database
    await database.dispose()


@pytest.fixture
async def demo_event(database: Database) -> str:
    """Loads the demo event and returns its slug."""
    from server.agenda.interchange import DEMO_EVENT_FILE, import_event, parse_event_file

    document = parse_event_file(DEMO_EVENT_FILE.read_text(encoding="utf-8"))
    async with database.session() as db:
        event = await import_event(db, document=document)
    return event.slug


@pytest.fixture
async def client(settings: Settings, database: Database) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, database)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://podium.test") as http:
        yield http


class ThreadedServer:
    """A real uvicorn server in a thread, for browsers and socket clients."""

    def __init__(self, app: Any, *, port: int | None = None) -> None:
        self.app = app
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError(f"the server on port {self.port} did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


class LiveServer(ThreadedServer):
    """The Starlette app alone (no Socket.IO), as the agenda and registration pages need it."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(create_app(settings))


@pytest.fixture
def live_server(settings: Settings, demo_event: str) -> Iterator[LiveServer]:
    server = LiveServer(settings)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def event_loop_policy() -> asyncio.AbstractEventLoopPolicy:
    return asyncio.DefaultEventLoopPolicy()
