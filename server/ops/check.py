"""``podium check``: what is wrong with a configuration, in plain words, before anything starts."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping
from urllib.parse import urlsplit

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from server.db import Database
from server.migrations import alembic_config
from server.settings import Settings, SettingsError


async def _database_problems(settings: Settings) -> list[str]:
    database = Database(settings.database_url)
    try:
        async with database.engine.connect() as connection:
            current = await connection.run_sync(lambda sync: MigrationContext.configure(sync).get_current_revision())
    except Exception as exc:  # noqa: BLE001 (any failure to connect is reported, not raised)
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        return [f"The database at PODIUM_DATABASE_URL cannot be reached: {reason}"]
    finally:
        await database.dispose()
    head = ScriptDirectory.from_config(alembic_config(settings.database_url)).get_current_head()
    if current != head:
        return [f"The database is not migrated (at {current or 'nothing'}, code expects {head}): run `podium db upgrade`."]
    return []


async def _redis_problems(url: str) -> list[str]:
    import redis.asyncio as redis

    client = redis.from_url(url, socket_connect_timeout=3)
    try:
        await client.ping()
    except Exception as exc:  # noqa: BLE001
        return [f"Redis at PODIUM_REDIS_URL cannot be reached: {exc}"]
    finally:
        await client.aclose()
    return []


def _url_problems(settings: Settings) -> list[str]:
    problems = []
    parts = urlsplit(settings.base_url)
    if settings.is_production and parts.scheme != "https":
        problems.append("PODIUM_BASE_URL should be an https:// address in production: cookies would not be Secure.")
    if settings.is_production and parts.hostname in {"127.0.0.1", "localhost", "::1"}:
        problems.append("PODIUM_BASE_URL points at this machine; mailed links would not work for anybody else.")
    if parts.path not in {"", "/"}:
        problems.append("PODIUM_BASE_URL must be the site's root, without a path.")
    return problems


def _turn_problems(environ: Mapping[str, str]) -> list[str]:
    if environ.get("PODIUM_TURN_URLS") and not environ.get("PODIUM_TURN_SECRET"):
        return ["PODIUM_TURN_URLS is set but PODIUM_TURN_SECRET is not: TURN credentials cannot be made."]
    return []


async def check(environ: Mapping[str, str] | None = None) -> list[str]:
    """Every problem found, each as one sentence; an empty list means ready to start."""
    environ = dict(os.environ if environ is None else environ)
    try:
        settings = Settings.from_env(environ)
    except SettingsError as exc:
        return [str(exc)]
    checks = [_database_problems(settings)]
    if settings.redis_url:
        checks.append(_redis_problems(settings.redis_url))
    problems = _url_problems(settings) + _turn_problems(environ)
    for found in await asyncio.gather(*checks):
        problems.extend(found)
    return problems
