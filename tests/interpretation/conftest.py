"""A world whose event offers English, Japanese and Chinese, with Japanese and Chinese channels in its main session,
two Japanese interpreters, one Chinese interpreter and an interpreter of the other event."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest

from server.accounts.models import Role
from server.app import create_app
from server.db import Database
from server.events.models import Event
from server.interpretation.models import ChannelPlan
from tests.support import factories
from tests.support.factories import Person
from tests.support.http import ORIGIN
from tests.support.world import World


@dataclass
class Booths:
    world: World
    ja_one: Person
    ja_two: Person
    zh: Person
    stranger: Person  # an interpreter of Japanese in the other event


@pytest.fixture
async def booths(world: World, database: Database) -> Booths:
    async with database.session() as db:
        for event in (world.event, world.other_event):
            row = await db.get_one(Event, event.id)
            row.languages = "en,ja,zh"
            db.add(row)
        db.add(ChannelPlan(event_id=world.event.id or 0, session_id=world.session.id, languages="ja,zh"))
        db.add(ChannelPlan(event_id=world.other_event.id or 0, session_id=world.other_session.id, languages="ja"))
        await db.commit()
        world.event = await db.get_one(Event, world.event.id)
        world.other_event = await db.get_one(Event, world.other_event.id)
        person = factories.person
        return Booths(
            world=world,
            ja_one=await person(db, world.event, "Aiko Booth", role=Role.interpreter, languages=("ja",)),
            ja_two=await person(db, world.event, "Kenji Booth", role=Role.interpreter, languages=("ja",)),
            zh=await person(db, world.event, "Li Booth", role=Role.interpreter, languages=("zh",)),
            stranger=await person(db, world.other_event, "Other Booth", role=Role.interpreter, languages=("ja",)),
        )


@dataclass
class FakeSwitch:
    """Stands in for the relay control: the on-air accounts it was told, in order."""

    calls: list[tuple[str, str | None]]

    async def set_on_air(self, channel_key: str, account: str | None) -> None:
        self.calls.append((channel_key, account))


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
