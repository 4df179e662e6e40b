"""Fixtures for the programme editor tests."""

from __future__ import annotations

import pytest

from server.accounts.models import Role
from server.db import Database
from server.events.services import get_event
from server.settings import Settings
from tests.support.factories import staff
from tests.support.http import ClientMaker, client_maker, signed_in_as


@pytest.fixture
def browsers(settings: Settings, database: Database) -> ClientMaker:
    """Opens another browser (its own cookies) on the same site and database."""
    return client_maker(settings, database)


ORGANISER = "organiser@example.org"


@pytest.fixture
async def organiser(client, database, demo_event):
    """The test client, signed in as the event's organiser."""
    async with database.session() as db:
        await staff(db, await get_event(db, slug=demo_event), Role.organiser, ORGANISER)
    await signed_in_as(client, database, ORGANISER)
    return client
