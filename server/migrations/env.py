"""Alembic environment: runs migrations on the async engine Podium itself uses."""

from __future__ import annotations

import asyncio
from typing import Any

from alembic import context
from sqlalchemy import event
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


def _foreign_keys_off(dbapi_connection: Any, _record: Any) -> None:
    """SQLite alters a table in batch mode by copying it and dropping the old one: with foreign keys on, that
    drop would cascade to every row that refers to it (an event's rooms and sessions). Alembic's advice: off
    while migrating, on again in every connection Podium itself opens."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=OFF")
    cursor.close()


async def run_async_migrations() -> None:
    database = Database(context.config.get_main_option("sqlalchemy.url") or "")
    if database.engine.dialect.name == "sqlite":
        event.listen(database.engine.sync_engine, "connect", _foreign_keys_off)
    async with database.engine.connect() as connection:
        await connection.run_sync(run_migrations)
        await connection.commit()
    await database.dispose()


if context.is_offline_mode():
    raise SystemExit("Podium runs migrations online only: use `podium db upgrade`.")
asyncio.run(run_async_migrations())
