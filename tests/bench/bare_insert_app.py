"""The registration baseline: a bare Starlette endpoint that does one INSERT and a commit per request,
through the same engine, driver and settings as Podium (``server.db.Database``, PODIUM_DATABASE_URL)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, func, insert
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from server.db import Database
from server.settings import Settings

metadata = MetaData()
hits = Table(
    "bench_hit",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("note", String(100), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)


def create_app() -> Starlette:
    database = Database(Settings.from_env().database_url)

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        async with database.engine.begin() as connection:
            await connection.run_sync(metadata.create_all)
        yield
        await database.dispose()

    async def insert_one(_request: Request) -> Response:
        async with database.session() as db:
            await db.execute(insert(hits).values(note="hello"))
            await db.commit()
        return PlainTextResponse("inserted")

    async def hello(_request: Request) -> Response:
        return PlainTextResponse("hello")

    return Starlette(
        routes=[Route("/insert", insert_one), Route("/", hello), Route("/healthz", hello)], lifespan=lifespan
    )
