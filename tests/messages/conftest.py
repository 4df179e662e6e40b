"""Fixtures for the Messages tests."""

from __future__ import annotations

import pytest

from server.db import Database
from tests.support.message_cast import Cast, build_cast


@pytest.fixture
async def cast(database: Database, demo_event: str) -> Cast:
    """An event whose people fall into every segment, each in a known set."""
    return await build_cast(database, demo_event)
