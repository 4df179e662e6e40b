"""``/healthz``: the process answers. ``/readyz``: it can do its work, so a load balancer may send it requests.

Readiness names what failed but not why: the body is public, the reason goes to the log.
"""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy import text
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from server.app_services import services_of
from server.db import Database

CHECK_TIMEOUT = 3.0  # seconds; a probe that hangs is as bad as one that fails

logger = logging.getLogger(__name__)


async def healthz(_request: Request) -> Response:
    return PlainTextResponse("ok")


async def database_ready(database: Database) -> bool:
    try:
        async with asyncio.timeout(CHECK_TIMEOUT), database.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception:
        logger.warning("readiness: the database cannot be reached", exc_info=True)
        return False
    return True


async def redis_ready(url: str) -> bool:
    import redis.asyncio as redis  # noqa: PLC0415 -- loaded only where Redis is configured

    client = redis.from_url(url, socket_connect_timeout=CHECK_TIMEOUT, socket_timeout=CHECK_TIMEOUT)
    try:
        async with asyncio.timeout(CHECK_TIMEOUT):
            await client.ping()
    except Exception:
        logger.warning("readiness: Redis cannot be reached", exc_info=True)
        return False
    finally:
        await client.aclose()
    return True


async def readyz(request: Request) -> Response:
    """200 ``{"status": "ready", "checks": {"database": "ok", "redis": "ok"}}``, or 503 naming what is down."""
    services = services_of(request.app)
    database = services.database
    redis_url = services.settings.redis_url
    names = ["database"]
    probes = [database_ready(database)]
    if redis_url:
        names.append("redis")
        probes.append(redis_ready(redis_url))
    results = await asyncio.gather(*probes)
    checks = {name: "ok" if ok else "unavailable" for name, ok in zip(names, results, strict=True)}
    ready = all(results)
    return JSONResponse(
        {"status": "ready" if ready else "unavailable", "checks": checks},
        status_code=200 if ready else 503,
        headers={"Cache-Control": "no-store"},
    )
