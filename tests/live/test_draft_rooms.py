"""A draft event's live rooms are its staff's: everyone else's join is "not found", as its pages are."""

from __future__ import annotations

import pytest

from server.db import Database
from server.events.models import Event
from server.live.access import room_token
from server.organising.events import set_published
from server.registration.roles import actor_in
from server.settings import Settings
from tests.support import factories
from tests.support.live_clients import lost_within
from tests.support.world import World

pytestmark = pytest.mark.integration


async def test_only_staff_join_a_draft_events_rooms(world: World, clients, database: Database, settings: Settings):
    async with database.session() as db:
        await factories.set_live_settings(db, world.event, anonymous_guests=True)
        event = await db.get_one(Event, world.event.id)
        event.published = False
        db.add(event)
        await db.commit()
    token = room_token(settings.secret_key, event_id=world.event.id or 0, session_id=world.session.id or 0)

    outcomes = {}
    for name in ("delegate", "onsite", "outsider", "speaker", "moderator", "organiser"):
        answer = await (await clients(getattr(world, name))).join(world.session.id)
        outcomes[name] = True if answer["ok"] else answer["code"]
    guest = await (await clients(auth={"room_token": token})).join(world.session.id)

    assert outcomes == {
        "delegate": "not_found",
        "onsite": "not_found",
        "outsider": "not_found",
        "speaker": True,
        "moderator": True,
        "organiser": True,
    }
    assert guest["code"] == "not_found"


async def test_taking_an_event_back_to_a_draft_sends_its_delegates_out_of_the_rooms(
    world: World, clients, database: Database
) -> None:
    room = world.session.id
    delegate = await clients(world.onsite)
    moderator = await clients(world.moderator)
    assert (await delegate.join(room))["ok"] and (await moderator.join(room))["ok"]

    async with database.session() as db:
        organiser = await actor_in(db, account=world.organiser.account, event=world.event)
        await set_published(db, actor=organiser, event=world.event, published=False)
    lost = await lost_within(delegate, "chat.history", {"session": room, "before": 1})

    assert lost == "not_joined"
    assert [(entry["session"], entry["left"]) for entry in delegate.received["revoked"]] == [(room, True)]
    assert moderator.received["revoked"] == []
    assert (await moderator.call("chat.history", {"session": room, "before": 1}))["ok"] is True
