"""What media tests share: the relay's secret, and peers that offer only the loopback address."""

from __future__ import annotations

from collections.abc import Iterator
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
