"""Booths around the world's session (tests/support/booths.py), a fake relay switch, and the pages over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from server.app import create_app
from server.db import Database
from tests.support.booths import Booths, FakeSwitch, build_booths
from tests.support.http import ORIGIN
from tests.support.world import World


@pytest.fixture
async def booths(world: World, database: Database) -> Booths:
    return await build_booths(world, database)


@pytest.fixture
def switch() -> FakeSwitch:
    return FakeSwitch(calls=[])


@pytest.fixture
async def booth_web(settings, database, recorder, switch) -> AsyncIterator[httpx.AsyncClient]:
    """The pages over HTTP, with a recorder for the broadcaster and a fake relay switch."""
    app = create_app(settings, database, deliver_mail=False)
    app.state.services.broadcaster = recorder
    app.state.services.relay_control = switch
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=ORIGIN) as client:
        yield client
