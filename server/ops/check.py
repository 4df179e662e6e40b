"""``podium check``: what is wrong with a configuration, in plain words, before anything starts.

Problems stop a start (exit 1); warnings are things an operator should know but may have chosen.
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import make_url

from server.db import Database
from server.migrations import alembic_config
from server.settings import Settings

CONNECT_TIMEOUT = 10.0
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


@dataclass
class Report:
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


async def _database_problems(settings: Settings) -> list[str]:
    if settings.is_sqlite:
        path = make_url(settings.database_url).database or ""
        if path and path != ":memory:" and not os.path.exists(path):  # noqa: ASYNC240 (one stat, at start-up)
            # Connecting would create an empty file; say what to do instead.
            return [f"There is no database file at {path}: run `podium db upgrade` to create it."]
    database = Database(settings.database_url)
    try:
        async with asyncio.timeout(CONNECT_TIMEOUT), database.engine.connect() as connection:
            current = await connection.run_sync(lambda sync: MigrationContext.configure(sync).get_current_revision())
    except TimeoutError:
        return [f"The database at PODIUM_DATABASE_URL cannot be reached: no answer within {CONNECT_TIMEOUT:.0f} s."]
    except Exception as exc:  # any failure to connect is reported, not raised
        return [f"The database at PODIUM_DATABASE_URL cannot be reached: {_first_line(exc)}"]
    finally:
        await database.dispose()
    scripts = ScriptDirectory.from_config(alembic_config(settings.database_url))
    head = scripts.get_current_head()
    if current == head:
        return []
    if current is not None and current not in {script.revision for script in scripts.walk_revisions()}:
        return [f"The database is at revision {current}, which this version of Podium does not know: is it newer?"]
    return [f"The database is not migrated (at {current or 'nothing'}, code expects {head}): run `podium db upgrade`."]


async def _redis_problems(url: str) -> list[str]:
    import redis.asyncio as redis  # noqa: PLC0415 -- loaded only where Redis is configured

    client = redis.from_url(url, socket_connect_timeout=3, socket_timeout=3)
    try:
        async with asyncio.timeout(CONNECT_TIMEOUT):
            await client.ping()
    except Exception as exc:  # any failure to connect is reported, not raised
        return [f"Redis at PODIUM_REDIS_URL cannot be reached: {_first_line(exc)}"]
    finally:
        await client.aclose()
    return []


def _url_problems(settings: Settings) -> list[str]:
    problems = []
    parts = urlsplit(settings.base_url)
    if settings.is_production and parts.scheme != "https":
        problems.append("PODIUM_BASE_URL should be an https:// address in production: cookies would not be Secure.")
    if settings.is_production and parts.hostname in LOOPBACK:
        problems.append("PODIUM_BASE_URL points at this machine; mailed links would not work for anybody else.")
    if parts.path not in {"", "/"} or parts.query or parts.fragment:
        problems.append("PODIUM_BASE_URL must be the site's root, without a path.")
    return problems


def _turn_problems(environ: Mapping[str, str]) -> list[str]:
    urls = environ.get("PODIUM_RELAY_TURN_URLS", "").strip()
    secret = environ.get("PODIUM_RELAY_TURN_SECRET", "").strip()
    if urls and not secret:
        return [
            "PODIUM_RELAY_TURN_URLS is set but PODIUM_RELAY_TURN_SECRET is not: TURN credentials cannot be made "
            "(use coturn's static-auth-secret)."
        ]
    if secret and len(secret) < 16:
        return ["PODIUM_RELAY_TURN_SECRET is too short to keep TURN credentials from being guessed (16+ characters)."]
    if secret and not urls:
        return ["PODIUM_RELAY_TURN_SECRET is set but PODIUM_RELAY_TURN_URLS is not: viewers get no TURN server."]
    return []


def _warnings(settings: Settings, environ: Mapping[str, str]) -> list[str]:
    warnings = []
    if settings.is_production and not settings.smtp_host:
        warnings.append("PODIUM_SMTP_HOST is not set: sign-in and confirmation mails stay in the outbox table.")
    if settings.is_production and settings.database_url and settings.is_sqlite:
        warnings.append("The database is SQLite: run a single app process (several need PostgreSQL and Redis).")
    relay_secret = environ.get("PODIUM_RELAY_TURN_SECRET", "")
    if relay_secret and relay_secret == environ.get("PODIUM_SECRET_KEY", ""):
        warnings.append("PODIUM_RELAY_TURN_SECRET equals PODIUM_SECRET_KEY: coturn should not hold the app's secret.")
    if settings.is_production and relay_secret.strip():  # without the secret, a problem names TURN already
        warnings += _turn_warnings(environ.get("PODIUM_RELAY_TURN_URLS", ""))
    return warnings


def _turn_warnings(urls: str) -> list[str]:
    """What keeps viewers behind networks without UDP from watching, though TURN is configured."""
    tls = [url for url in urls.replace(",", " ").split() if url.startswith("turns:")]
    if urls.strip() and not tls:
        return [
            "PODIUM_RELAY_TURN_URLS has no turns: address (TURN over TLS on port 443): viewers on networks that let "
            "only HTTPS out cannot watch over WebRTC."
        ]
    for url in tls:
        host = url.removeprefix("turns:").split("?")[0].rsplit(":", 1)[0].strip("[]")
        try:
            ipaddress.ip_address(host)
        except ValueError:
            continue
        return [
            f"PODIUM_RELAY_TURN_URLS names the TURN server by its address in {url}: browsers check its certificate "
            "against the name in the URL, so use the name (turns:turn.example.org:443?transport=tcp)."
        ]
    return []


async def check(environ: Mapping[str, str] | None = None) -> Report:
    """Every problem found, each as one sentence; no problems means ready to start."""
    environ = dict(os.environ if environ is None else environ)
    settings, problems = Settings.examine(environ)
    report = Report(problems=list(problems))
    checks = []
    if settings.database_url:
        checks.append(_database_problems(settings))
    if settings.redis_url:
        checks.append(_redis_problems(settings.redis_url))
    report.problems += _url_problems(settings) + _turn_problems(environ)
    for found in await asyncio.gather(*checks):
        report.problems.extend(found)
    report.warnings = _warnings(settings, environ)
    return report
