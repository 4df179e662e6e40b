"""Schema migrations (Alembic). ``podium db upgrade`` applies them; ``make migration`` writes a new one."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", database_url)
    return config


def _upgrade(database_url: str, revision: str) -> None:
    command.upgrade(alembic_config(database_url), revision)


async def upgrade(database_url: str, revision: str = "heads") -> None:
    """Apply migrations; env.py runs its own event loop, so it runs in a worker thread."""
    await asyncio.to_thread(_upgrade, database_url, revision)


def upgrade_sync(database_url: str, revision: str = "heads") -> None:
    _upgrade(database_url, revision)


def revision(database_url: str, message: str) -> None:
    command.revision(alembic_config(database_url), message=message, autogenerate=True)
