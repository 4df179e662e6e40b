"""Booths around the world's session: the event offers English, Japanese and Chinese, its main session runs Japanese
and Chinese channels (the other event's session a Japanese one), with two Japanese interpreters, one Chinese
interpreter and a Japanese interpreter of the other event."""

from __future__ import annotations

from dataclasses import dataclass

from server.accounts.models import Role
from server.db import Database
from server.events.models import Event
from server.interpretation.models import ChannelPlan
from tests.support import factories
from tests.support.factories import Person
from tests.support.world import World


@dataclass
class Booths:
    world: World
    ja_one: Person
    ja_two: Person
    zh: Person
    stranger: Person  # an interpreter of Japanese in the other event


async def build_booths(world: World, database: Database) -> Booths:
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
