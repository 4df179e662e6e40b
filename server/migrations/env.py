"""Alembic environment: runs migrations on the async engine Podium itself uses."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

import server.models  # noqa: F401  (registers every table on the metadata)
from server.db import Database

target_metadata = SQLModel.metadata


def run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_async_migrations() -> None:
    database = Database(context.config.get_main_option("sqlalchemy.url") or "")
    async with database.engine.connect() as connection:
        await connection.run_sync(run_migrations)
        await connection.commit()
    await database.dispose()


if context.is_offline_mode():
    raise SystemExit("Podium runs migrations online only: use `podium db upgrade`.")
asyncio.run(run_async_migrations())
