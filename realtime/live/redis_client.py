"""How live rooms talk to Redis: every wait bounded, and retries quick enough that delivery between
processes resumes within about a second of Redis returning (redis-py's own retries back off for seconds)."""

from __future__ import annotations

import random
from typing import Any

from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

REDIS_TIMEOUT = 1.0  # seconds a publish may take before Redis counts as hanging
FIRST_PAUSE = 0.1  # seconds before retrying Redis after a failure, doubling up to MAX_PAUSE
MAX_PAUSE = 1.0  # so that delivery between processes resumes within about a second of Redis returning


def redis_options() -> dict[str, Any]:
    """Options of every Redis client of live rooms: bounded waits, and no retries of redis-py's own (with
    its backoff of up to seconds); the callers retry, with ``retry_pause``."""
    return {"socket_timeout": REDIS_TIMEOUT, "socket_connect_timeout": REDIS_TIMEOUT, "retry": Retry(NoBackoff(), 0)}


def retry_pause(failures: int) -> float:
    """Seconds to wait after ``failures`` failures in a row, with jitter so processes do not retry in step."""
    return min(FIRST_PAUSE * 2 ** max(failures - 1, 0), MAX_PAUSE) * random.uniform(0.5, 1.0)
