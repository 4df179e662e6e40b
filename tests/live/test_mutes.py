"""Mutes: the muted person learns it at once on every connection, moderators see who is muted and unmute
from that list, and the audience never sees any of it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tests.support.live_clients import LiveClient, client_id
from tests.support.world import World

pytestmark = [pytest.mark.integration, pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)]

MUTED_NOTE = "A moderator has muted you in this room's chat."


async def say(client: LiveClient, room: int, text: str) -> dict[str, Any]:
    answer: dict[str, Any] = await client.call("chat.send", {"session": room, "text": text, "client_id": client_id()})
    return answer


async def mute(client: LiveClient, room: int, key: str, muted: bool) -> dict[str, Any]:
    answer: dict[str, Any] = await client.call(
        "participant.mute", {"session": room, "participant": key, "muted": muted}
    )
    return answer


def moments_ago(stamp: str) -> bool:
    moment = dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    return dt.timedelta(0) <= dt.datetime.now(dt.UTC) - moment < dt.timedelta(minutes=1)


async def test_mute_tells_every_connection_of_the_person_and_updates_the_moderators_list(world: World, clients) -> None:
    room = world.session.id
    chair, co_chair, reader = (
        await clients(world.moderator),
        await clients(world.organiser),
        await clients(world.onsite),
    )
    talker, other_tab = await clients(world.delegate), await clients(world.delegate)  # the second tab never writes
    for client in (chair, co_chair, reader, talker, other_tab):
        assert (await client.join(room))["ok"]
    assert (await say(talker, room, "Hello everyone"))["ok"]
    before = await co_chair.call("participant.muted", {"session": room})

    muted = await mute(chair, room, world.delegate.key, True)
    notices = [await client.wait_for("muted", lambda n: n["muted"]) for client in (talker, other_tab)]
    listed = await co_chair.wait_for("room_event", lambda e: e["kind"] == "mute")
    listing = await co_chair.call("participant.muted", {"session": room})
    refused = await say(talker, room, "Can you hear me?")
    audience_view = await reader.wait_for("room_event", lambda e: e["seq"] == listed["seq"])

    unmuted = await mute(co_chair, room, world.delegate.key, False)
    lifted = [await client.wait_for("muted", lambda n: not n["muted"]) for client in (talker, other_tab)]
    cleared = await chair.wait_for("room_event", lambda e: e["kind"] == "mute" and not e["data"]["muted"])
    after = await chair.call("participant.muted", {"session": room})
    allowed = await say(talker, room, "Thank you")

    person = listed["data"]["person"]
    assert before == {"ok": True, "muted": []}
    assert muted == {"ok": True} and unmuted == {"ok": True}
    assert [(n["session"], n["seq"], n["muted"]) for n in notices] == [(room, listed["seq"], True)] * 2
    assert {name: value for name, value in person.items() if name != "since"} == {
        "key": world.delegate.key,
        "name": "Ayu Online",
        "origin": "online",
        "country": "ID",
        "by": {"key": world.moderator.key, "name": "Chair Person"},
    }
    assert moments_ago(person["since"])
    assert listing == {"ok": True, "muted": [person]}
    assert (refused["code"], refused["error"]) == ("forbidden", MUTED_NOTE)
    assert (audience_view["kind"], audience_view["data"]) == ("skip", None)
    assert reader.received["muted"] == [] and chair.received["muted"] == []
    assert [(n["seq"], n["muted"]) for n in lifted] == [(cleared["seq"], False)] * 2
    assert cleared["data"] == {"participant": world.delegate.key, "muted": False, "person": None}
    assert after == {"ok": True, "muted": []}
    assert allowed["ok"] is True


async def test_join_after_a_reconnect_says_muted_and_only_moderators_get_the_list(world: World, clients) -> None:
    room = world.session.id
    chair, talker = await clients(world.moderator), await clients(world.delegate)
    await chair.join(room)
    joined = await talker.join(room)
    await say(talker, room, "Before the mute")
    await talker.close()
    await mute(chair, room, world.delegate.key, True)

    resync = await (await clients(world.delegate)).join(room, since_seq=joined["seq"])
    fresh = await (await clients(world.delegate)).join(room)
    audience = await (await clients(world.onsite)).join(room)
    moderators = await (await clients(world.organiser)).join(room, since_seq=0)
    retried = await mute(chair, room, world.delegate.key, True)  # a retry sets the same state again

    assert joined["me"]["muted"] is False
    assert (resync["mode"], resync["me"]["muted"]) == ("events", True)
    assert [e["kind"] for e in resync["events"]] == ["chat", "skip"]
    assert (fresh["mode"], fresh["me"]["muted"]) == ("snapshot", True)
    assert "muted" not in resync and "muted" not in fresh and "muted" not in audience
    assert audience["me"]["muted"] is False
    assert [(p["key"], p["name"]) for p in moderators["muted"]] == [(world.delegate.key, "Ayu Online")]
    assert moderators["events"][-1]["data"]["person"] == moderators["muted"][0]
    assert retried == {"ok": True}


async def test_mute_targets_only_people_who_took_part_in_this_room(world: World, clients) -> None:
    room, other_room = world.session.id, world.other_session.id
    chair, talker, asker = await clients(world.moderator), await clients(world.delegate), await clients(world.onsite)
    other_chair = await clients(world.other_moderator)
    for client in (chair, talker, asker):
        await client.join(room)
    await other_chair.join(other_room)
    await say(talker, room, "I wrote in the chat")
    await asker.call("question.ask", {"session": room, "text": "I only asked", "client_id": client_id()})

    silent = await mute(chair, room, world.speaker.key, True)
    myself = await mute(chair, room, world.moderator.key, True)
    bogus = await mute(chair, room, "x1", True)
    asker_muted = await mute(chair, room, world.onsite.key, True)
    elsewhere = await mute(other_chair, other_room, world.delegate.key, True)
    elsewhere_unmute = await mute(other_chair, other_room, world.onsite.key, False)
    elsewhere_list = await other_chair.call("participant.muted", {"session": other_room})
    not_joined = await other_chair.call("participant.muted", {"session": room})
    listing = await chair.call("participant.muted", {"session": room})

    assert silent["code"] == "not_found" and elsewhere["code"] == "not_found"
    assert elsewhere_unmute["code"] == "not_found"
    assert myself["code"] == "invalid" and bogus["code"] == "invalid"
    assert asker_muted == {"ok": True}
    assert [(p["key"], p["name"], p["origin"], p["country"]) for p in listing["muted"]] == [
        (world.onsite.key, "Bima Onsite", "onsite", "MY")
    ]
    assert elsewhere_list == {"ok": True, "muted": []}
    assert not_joined["code"] == "not_joined"
