"""The stream's pages over HTTP: the Starlette app, and people in every role around one session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from server.db import Database
from tests.support.media import loopback_only
from tests.support.speaker_stage import Stage, build_stage


@pytest.fixture(autouse=True)
def loopback() -> Iterator[None]:
    """Every peer in these tests offers only 127.0.0.1."""
    with loopback_only():
        yield


@pytest.fixture
async def stage(database: Database, demo_event: str) -> Stage:
    return await build_stage(database, demo_event)
