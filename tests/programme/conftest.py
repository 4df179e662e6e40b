"""Fixtures for the programme editor tests."""

from __future__ import annotations

import pytest

from server.db import Database
from server.settings import Settings
from tests.support.http import ClientMaker, client_maker


@pytest.fixture
def browsers(settings: Settings, database: Database) -> ClientMaker:
    """Opens another browser (its own cookies) on the same site and database."""
    return client_maker(settings, database)
