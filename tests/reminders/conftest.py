"""Fixtures for the reminder tests: a delegate who picked a session of the demo event, signed in."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from server.agenda.models import Session
from server.db import Database
from server.events.models import Event
from tests.support import factories
from tests.support.factories import ONLINE, Person


@dataclass
class Picked:
    event: Event
    session: Session  # on the delegate's agenda
    unpicked: Session  # another session of the event, not on it
    delegate: Person


@pytest.fixture
async def picked(database: Database, demo_event: str) -> Picked:
    async with database.session() as db:
        event = await factories.event_by_slug(db, demo_event)
        sessions = [each for each in await factories.sessions_of(db, event) if each.kind == "parallel"]
        session, unpicked = sessions[0], sessions[1]
        delegate = await factories.person(db, event, "Ayu Lestari", attendance=ONLINE, sessions=(session,))
    return Picked(event, session, unpicked, delegate)
