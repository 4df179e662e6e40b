"""Shared fixtures: a migrated database (SQLite, or PostgreSQL in CI), the demo event, the app, a live server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from server.app import create_app
from server.db import Database
from server.migrations import upgrade
from server.settings import Settings
from tests.support.databases import POSTGRES_ADMIN_URL, create_postgres_database, drop_postgres_database
from tests.support.http import ORIGIN, Recorder
from tests.support.ports import port_open
from tests.support.private_services import PrivatePostgres
from tests.support.requirements import require
from tests.support.servers import LiveServer
from tests.support.world import World, build_world


@pytest.fixture(scope="session")
def postgres_server() -> str:
    require("PostgreSQL", port_open("127.0.0.1", 5432))
    return POSTGRES_ADMIN_URL


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
    if (
        backend == "private_postgres"
    ):  # a cluster of the test's own, to crash and restart (tests/support/private_services.py)
        admin_url = request.getfixturevalue("private_postgres").admin_url
    else:
        admin_url = request.getfixturevalue("postgres_server")
    raw = await create_postgres_database(admin_url)
    url = raw.replace("postgresql://", "postgresql+asyncpg://", 1)
    await upgrade(url)
    try:
        yield url
    finally:
        await drop_postgres_database(admin_url, raw)


@pytest.fixture
def private_postgres() -> Iterator[Any]:
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


@pytest.fixture
def live_server(settings: Settings, demo_event: str) -> Iterator[LiveServer]:
    server = LiveServer(settings)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def event_loop_policy() -> asyncio.AbstractEventLoopPolicy:
    return asyncio.DefaultEventLoopPolicy()


@pytest.fixture
async def world(database: Database, demo_event: str) -> World:
    """The demo event with people in every role around one session, and another event (tests/support/world.py)."""
    return await build_world(database, demo_event)


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
async def web(settings: Settings, database: Database, recorder: Recorder) -> AsyncIterator[httpx.AsyncClient]:
    """The pages over HTTP, with a recorder standing in for the live server's broadcaster."""
    app = create_app(settings, database, deliver_mail=False)
    app.state.services.broadcaster = recorder
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=ORIGIN) as client:
        yield client
