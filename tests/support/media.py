"""What media tests share: the relay's secret, peers that offer only the loopback address, and waiting for what the
relay does in the background."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from realtime.media.internals import restrict_host_addresses

SECRET = "media-test-secret"


@contextmanager
def loopback_only() -> Iterator[None]:
    """Every peer, relay and clients alike, offers only 127.0.0.1 (a test machine's other addresses may not route)."""
    restrict_host_addresses(["127.0.0.1"])
    try:
        yield
    finally:
        restrict_host_addresses([])


async def wait_for(condition: Callable[[], bool], timeout: float = 15.0) -> float:
    """Polls ``condition`` until it holds and returns the seconds that took; TimeoutError after ``timeout``."""
    started = time.monotonic()
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.05)
    return time.monotonic() - started
