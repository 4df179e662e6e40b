"""Fixtures for the reminder tests: a delegate who picked a session of the demo event, signed in."""

from __future__ import annotations

import pytest

from server.db import Database
from tests.support.reminders import Picked, picked_session


@pytest.fixture
async def picked(database: Database, demo_event: str) -> Picked:
    return await picked_session(database, demo_event)
