"""Revocation reaches open sockets: after sign out, sign out everywhere, a disabled account, a removed role or a
cancelled registration, a connection that could do something can no longer do it within two seconds, and
keeps exactly what it did not lose."""

from __future__ import annotations

import pytest

from server.accounts.actors import Actor
from server.accounts.admin import set_account_disabled
from server.accounts.models import Account, Role
from server.accounts.services import revoke_role, sign_out, sign_out_everywhere
from server.db import Database
from server.registration.removal import remove_from_event
from server.registration.roles import actor_in
from server.registration.seats import unpick_session
from server.registration.services import cancel_registration
from tests.support import factories
from tests.support.live_clients import client_id, lost_within
from tests.support.world import World

pytestmark = [pytest.mark.integration, pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)]


async def admin(database: Database) -> Account:
    async with database.session() as db:
        account = Account(email=f"admin.{client_id()[:8]}@example.org", name="Instance Admin", admin=True)
        db.add(account)
        await db.commit()
        await db.refresh(account)
        return account


async def test_sign_out_closes_that_sessions_socket_only(world: World, clients, database: Database) -> None:
    room = world.session.id
    async with database.session() as db:
        second_browser = await factories.signed_in(db, world.moderator.account)
    first = await clients(world.moderator)
    second = await clients(second_browser)
    for client in (first, second):
        assert (await client.join(room))["ok"]

    async with database.session() as db:
        await sign_out(db, session_token=world.moderator.token)
    lost = await lost_within(first, "participant.muted", {"session": room})
    kept = await second.call("participant.muted", {"session": room})

    assert lost == "disconnected"
    assert first.received["revoked"] == [
        {
            "session": None,
            "reason": "signed_out",
            "left": True,
            "message": "You were signed out. Please sign in again to take part.",
        }
    ]
    assert kept == {"ok": True, "muted": []}
    assert second.received["revoked"] == []


async def test_sign_out_everywhere_closes_every_socket(world: World, clients, database: Database) -> None:
    room = world.session.id
    async with database.session() as db:
        second_browser = await factories.signed_in(db, world.delegate.account)
    tabs = [await clients(world.delegate), await clients(second_browser)]
    for tab in tabs:
        assert (await tab.join(room))["ok"]

    async with database.session() as db:
        await sign_out_everywhere(db, account=world.delegate.account)
    lost = [await lost_within(tab, "chat.history", {"session": room, "before": 1}) for tab in tabs]

    assert lost == ["disconnected", "disconnected"]
    assert [tab.received["revoked"][0]["reason"] for tab in tabs] == ["signed_out", "signed_out"]


async def test_disabled_moderator_can_no_longer_moderate(world: World, clients, database: Database) -> None:
    room = world.session.id
    chair = await clients(world.moderator)
    asker = await clients(world.delegate)
    for client in (chair, asker):
        assert (await client.join(room))["ok"]
    said = await asker.call("chat.send", {"session": room, "text": "Delete me", "client_id": client_id()})

    async with database.session() as db:
        await set_account_disabled(
            db, actor=Actor(account=await admin(database)), account_id=world.moderator.account.id, disabled=True
        )
    lost = await lost_within(chair, "participant.muted", {"session": room})
    asker_still = await asker.call("chat.history", {"session": room, "before": said["message"]["id"] + 1})

    assert lost == "disconnected"
    assert chair.received["revoked"][0] == {
        "session": None,
        "reason": "disabled",
        "left": True,
        "message": "This account has been disabled.",
    }
    assert [message["text"] for message in asker_still["messages"]] == ["Delete me"]


async def test_removed_moderator_stays_as_delegate_when_registered(world: World, clients, database: Database) -> None:
    room = world.session.id
    async with database.session() as db:
        await factories.set_live_settings(db, world.event, moderated=True)
        chair = await factories.person(db, world.event, "Registered Chair", role=Role.moderator, attendance="online")
    moderating = await clients(chair)
    asker = await clients(world.delegate)
    joined = await moderating.join(room)
    assert (await asker.join(room))["ok"]
    before = await asker.call("question.ask", {"session": room, "text": "For review", "client_id": client_id()})
    seen = await moderating.wait_for("room_event", lambda event: event["kind"] == "question")

    async with database.session() as db:
        await revoke_role(db, event=world.event, email=chair.account.email, role=Role.moderator)
    lost = await lost_within(moderating, "participant.muted", {"session": room})
    after = await asker.call("question.ask", {"session": room, "text": "Hidden now", "client_id": client_id()})
    hidden = await moderating.wait_for("room_event", lambda event: event["seq"] > seen["seq"])
    still = await moderating.call("chat.send", {"session": room, "text": "Now a delegate", "client_id": client_id()})
    again = await moderating.join(room)

    assert joined["me"]["can_moderate"] is True
    assert (seen["data"]["text"], seen["data"]["status"]) == ("For review", before["question"]["status"])
    assert lost == "forbidden"
    assert moderating.received["revoked"] == [
        {"session": room, "reason": "role", "left": False, "message": "You can no longer moderate this room."}
    ]
    assert after["question"]["status"] == "pending"
    assert (hidden["kind"], hidden["data"]) == ("skip", None)  # the audience's view of it
    assert still["ok"] is True
    assert again["me"]["can_moderate"] is False


async def test_organiser_removing_a_moderator_takes_them_out_of_the_room(
    world: World, clients, database: Database
) -> None:
    room = world.session.id
    moderating = await clients(world.moderator)
    assert (await moderating.join(room))["ok"]

    async with database.session() as db:
        organiser = await actor_in(db, account=world.organiser.account, event=world.event)
        await remove_from_event(db, actor=organiser, event=world.event, account_id=world.moderator.account.id or 0)
    lost = await lost_within(moderating, "participant.muted", {"session": room})
    again = await moderating.join(room)

    assert lost == "not_joined"
    assert moderating.received["revoked"] == [
        {
            "session": room,
            "reason": "removed",
            "left": True,
            "message": "This room is open to people registered for the event.",
        }
    ]
    assert again["code"] == "forbidden"
    assert moderating.sio.connected  # the account itself lost nothing: its other events' rooms stay open


async def test_cancelled_registration_leaves_the_room(world: World, clients, database: Database) -> None:
    room = world.session.id
    async with database.session() as db:
        registered_organiser = await factories.person(
            db, world.event, "Registered Organiser", role=Role.organiser, attendance="online"
        )
    delegate = await clients(world.delegate)
    organiser = await clients(registered_organiser)
    for client in (delegate, organiser):
        assert (await client.join(room))["ok"]

    async with database.session() as db:
        await cancel_registration(db, event=world.event, account=world.delegate.account)
    async with database.session() as db:
        await cancel_registration(db, event=world.event, account=registered_organiser.account)
    lost = await lost_within(delegate, "chat.history", {"session": room, "before": 1})
    ask = await delegate.call("question.ask", {"session": room, "text": "Can I still ask?", "client_id": client_id()})
    staff = await organiser.call("participant.muted", {"session": room})

    assert (lost, ask["code"]) == ("not_joined", "not_joined")
    assert delegate.received["revoked"] == [
        {
            "session": room,
            "reason": "removed",
            "left": True,
            "message": "This room is open to people registered for the event.",
        }
    ]
    assert staff == {"ok": True, "muted": []}
    assert organiser.received["revoked"] == []


async def test_unpicked_session_closes_its_room_where_rooms_are_for_pickers(
    world: World, clients, database: Database
) -> None:
    room = world.session.id
    async with database.session() as db:
        await factories.set_live_settings(db, world.event, online_entry="session")
    onsite = await clients(world.onsite)
    assert (await onsite.join(room))["ok"]

    async with database.session() as db:
        await unpick_session(db, event=world.event, account=world.onsite.account, session_id=room or 0)
    lost = await lost_within(onsite, "chat.history", {"session": room, "before": 1})

    assert lost == "not_joined"
    assert onsite.received["revoked"] == [
        {
            "session": room,
            "reason": "removed",
            "left": True,
            "message": "This room is open to people registered for this session.",
        }
    ]
