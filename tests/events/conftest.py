"""Fixtures for setting events up in the browser: the instance's PODIUM_EVENT_CREATORS."""

from __future__ import annotations

import pytest

from server.settings import Settings


@pytest.fixture
def event_creators() -> str:
    """Override with ``@pytest.mark.parametrize("event_creators", [...])``."""
    return "creator@example.org"


@pytest.fixture
def settings(database_url: str, event_creators: str) -> Settings:
    return Settings.from_env(
        {"PODIUM_ENV": "test", "PODIUM_DATABASE_URL": database_url, "PODIUM_EVENT_CREATORS": event_creators}
    )
