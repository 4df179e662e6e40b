"""Chat, mutes, polls and announcements through real clients on a real server."""

from __future__ import annotations

import asyncio

import pytest
from sqlmodel import select

from server.accounts.actors import Actor
from server.accounts.models import Role
from server.db import Database
from server.live import announcements
from server.live.models import ChatMessage, PollOption, PollVote
from tests.support.live_clients import LiveClient, client_id
from tests.support.servers import LiveRoomsServer
from tests.support.world import World

pytestmark = [pytest.mark.integration, pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)]


async def test_chat_history_delete_and_mute(world: World, clients) -> None:
    room = world.session.id
    chair, talker, reader = await clients(world.moderator), await clients(world.delegate), await clients(world.onsite)
    for client in (chair, talker, reader):
        await client.join(room)
    sent = [
        (await talker.call("chat.send", {"session": room, "text": f"message {n}", "client_id": client_id()}))["message"]
        for n in range(3)
    ]

    seen = await reader.wait_for("room_event", lambda e: e["kind"] == "chat" and e["data"]["text"] == "message 2")
    deleted = await chair.call("chat.delete", {"session": room, "message": sent[1]["id"]})
    removed = await reader.wait_for("room_event", lambda e: e["kind"] == "chat_removed")
    muted = await chair.call("participant.mute", {"session": room, "participant": world.delegate.key, "muted": True})
    refused = await talker.call("chat.send", {"session": room, "text": "let me speak", "client_id": client_id()})
    mute_seen = await chair.wait_for("room_event", lambda e: e["kind"] == "mute")
    audience_view = await reader.wait_for("room_event", lambda e: e["seq"] == mute_seen["seq"])
    history = await reader.call("chat.history", {"session": room, "before": sent[2]["id"]})
    snapshot = await (await clients(world.onsite)).join(room)
    unmuted = await chair.call("participant.mute", {"session": room, "participant": world.delegate.key, "muted": False})
    allowed = await talker.call("chat.send", {"session": room, "text": "thank you", "client_id": client_id()})

    assert seen["data"]["author"] == {"key": world.delegate.key, "name": "Ayu Online"}
    assert deleted == {"ok": True}
    assert removed["data"] == {"id": sent[1]["id"]}
    assert muted == {"ok": True} and unmuted == {"ok": True}
    assert (refused["ok"], refused["code"]) == (False, "forbidden")
    assert (mute_seen["data"]["participant"], mute_seen["data"]["muted"]) == (world.delegate.key, True)
    assert audience_view["kind"] == "skip"
    assert ([m["text"] for m in history["messages"]], history["more"]) == (["message 0"], False)
    assert [m["text"] for m in snapshot["chat"]] == ["message 0", "message 2"]
    assert allowed["ok"] is True


async def test_poll_lifecycle_with_live_results(world: World, clients, database: Database) -> None:
    room = world.session.id
    chair, voter, other = await clients(world.moderator), await clients(world.delegate), await clients(world.onsite)
    for client in (chair, voter, other):
        await client.join(room)
    created = await chair.call(
        "poll.create",
        {
            "session": room,
            "question": "Which day?",
            "kind": "single",
            "options": ["Monday", "Tuesday"],
            "client_id": client_id(),
        },
    )
    poll = created["poll"]
    monday, tuesday = (option["id"] for option in poll["options"])
    hidden = await voter.wait_for("room_event")

    draft_vote = await voter.call("poll.vote", {"session": room, "poll": poll["id"], "options": [monday]})
    opened = await chair.call("poll.open", {"session": room, "poll": poll["id"]})
    shown = await voter.wait_for("room_event", lambda e: e["kind"] == "poll")
    first = await voter.call("poll.vote", {"session": room, "poll": poll["id"], "options": [monday]})
    changed = await voter.call("poll.vote", {"session": room, "poll": poll["id"], "options": [tuesday]})
    two = await voter.call("poll.vote", {"session": room, "poll": poll["id"], "options": [monday, tuesday]})
    second = await other.call("poll.vote", {"session": room, "poll": poll["id"], "options": [tuesday]})
    chair_counts = await chair.wait_for(
        "counts", lambda c: c["polls"].get(str(poll["id"])) == {str(monday): 0, str(tuesday): 2}
    )
    results = await chair.call("poll.show_results", {"session": room, "poll": poll["id"], "visible": True})
    closed = await chair.call("poll.close", {"session": room, "poll": poll["id"]})
    late = await other.call("poll.vote", {"session": room, "poll": poll["id"], "options": [monday]})
    final = await voter.wait_for("room_event", lambda e: e["kind"] == "poll" and e["data"]["status"] == "closed")

    assert (hidden["kind"], hidden["data"]) == ("skip", None)
    assert draft_vote["code"] == "not_found"
    assert opened["poll"]["status"] == "open"
    assert shown["data"]["options"][0]["votes"] is None  # results hidden from the audience
    assert first["options"] == [monday] and changed["options"] == [tuesday]
    assert two["code"] == "invalid"
    assert second["ok"] is True
    assert chair_counts["session"] == room
    assert [o["votes"] for o in results["poll"]["options"]] == [0, 2]
    assert closed["poll"]["status"] == "closed"
    assert late["code"] == "conflict"
    assert [o["votes"] for o in final["data"]["options"]] == [0, 2]
    async with database.session() as db:
        votes = (
            await db.exec(select(PollVote.voter_key, PollVote.option_id).where(PollVote.poll_id == poll["id"]))
        ).all()
        counted = (
            await db.exec(
                select(PollOption.votes).where(PollOption.poll_id == poll["id"]).order_by(PollOption.position)
            )
        ).all()
    assert sorted(votes) == sorted([(world.delegate.key, tuesday), (world.onsite.key, tuesday)])
    assert list(counted) == [0, 2]


async def test_multiple_choice_and_one_open_poll_per_room(world: World, clients) -> None:
    room = world.session.id
    chair, voter = await clients(world.moderator), await clients(world.delegate)
    await chair.join(room)
    await voter.join(room)

    async def poll(kind: str) -> dict:
        answer = await chair.call(
            "poll.create",
            {"session": room, "question": kind, "kind": kind, "options": ["A", "B", "C"], "client_id": client_id()},
        )
        return answer["poll"]

    single, multiple = await poll("single"), await poll("multiple")
    await chair.call("poll.open", {"session": room, "poll": single["id"]})
    await chair.call("poll.open", {"session": room, "poll": multiple["id"]})
    options = [option["id"] for option in multiple["options"]]
    both = await voter.call("poll.vote", {"session": room, "poll": multiple["id"], "options": options[:2]})
    repeated = await voter.call(
        "poll.vote", {"session": room, "poll": multiple["id"], "options": [options[0], options[0]]}
    )
    foreign = await voter.call(
        "poll.vote", {"session": room, "poll": multiple["id"], "options": [single["options"][0]["id"]]}
    )
    snapshot = await (await clients(world.delegate)).join(room)

    assert both["options"] == sorted(options[:2])
    assert repeated["code"] == "invalid" and foreign["code"] == "invalid"
    assert {p["id"]: p["status"] for p in snapshot["polls"]} == {single["id"]: "closed", multiple["id"]: "open"}
    assert snapshot["me"]["poll_votes"] == {str(multiple["id"]): sorted(options[:2])}


async def test_chat_history_pages_back_until_no_more(world: World, clients, database: Database) -> None:
    room = world.session.id
    async with database.session() as db:
        for n in range(120):
            db.add(
                ChatMessage(
                    event_id=world.event.id or 0,
                    session_id=room,
                    author_key=world.delegate.key,
                    account_id=world.delegate.account.id,
                    author_name="Ayu Online",
                    origin="online",
                    country="ID",
                    text=f"message {n}",
                    client_id=client_id(),
                )
            )
        await db.commit()
    reader = await clients(world.onsite)

    joined = await reader.join(room)
    pages = []
    before = joined["chat"][0]["id"]
    while True:
        page = await reader.call("chat.history", {"session": room, "before": before})
        pages.append(([m["text"] for m in page["messages"]], page["more"]))
        if not page["more"]:
            break
        before = page["messages"][0]["id"]

    assert [m["text"] for m in joined["chat"]] == [f"message {n}" for n in range(70, 120)]
    assert joined["chat_more"] is True
    assert pages == [([f"message {n}" for n in range(20, 70)], True), ([f"message {n}" for n in range(20)], False)]


async def test_poll_voters_count_people_not_choices(world: World, clients) -> None:
    room = world.session.id
    chair, first, second = await clients(world.moderator), await clients(world.delegate), await clients(world.onsite)
    for client in (chair, first, second):
        await client.join(room)
    created = await chair.call(
        "poll.create",
        {
            "session": room,
            "question": "Which?",
            "kind": "multiple",
            "options": ["A", "B", "C"],
            "client_id": client_id(),
        },
    )
    poll = str(created["poll"]["id"])
    a, b, c = (str(option["id"]) for option in created["poll"]["options"])
    await chair.call("poll.open", {"session": room, "poll": created["poll"]["id"]})

    async def vote(client: LiveClient, *options: str) -> None:
        answer = await client.call(
            "poll.vote", {"session": room, "poll": created["poll"]["id"], "options": [int(o) for o in options]}
        )
        assert answer["ok"], answer

    await vote(first, a, b)
    await vote(second, b)
    await vote(first, c)  # a changed ballot is still one voter
    counted = await chair.wait_for("counts", lambda n: n["polls"].get(poll) == {a: 0, b: 1, c: 1})
    shown = await chair.call("poll.show_results", {"session": room, "poll": created["poll"]["id"], "visible": True})
    hidden = list(first.received["counts"])  # the flush the chair saw went to the audience before this answer
    shown_event = await first.wait_for("room_event", lambda e: e["kind"] == "poll" and e["data"]["results_visible"])
    await vote(second, a)
    audience = await first.wait_for("counts", lambda n: n["polls"].get(poll) == {a: 1, b: 0, c: 1})
    joined = await (await clients(world.speaker)).join(room)

    assert counted["poll_voters"] == {poll: 2}
    assert hidden and all(poll not in n["polls"] and poll not in n["poll_voters"] for n in hidden)
    assert shown["poll"]["voters"] == 2 and shown_event["data"]["voters"] == 2
    assert audience["poll_voters"] == {poll: 2}
    assert joined["counts"]["poll_voters"] == {poll: 2}
    assert [p["voters"] for p in joined["polls"]] == [2]


async def test_announcement_reaches_every_room_of_the_event(
    world: World, clients, database: Database, live_rooms: LiveRoomsServer
) -> None:
    in_one, in_other = await clients(world.delegate), await clients(world.onsite)
    organiser = await clients(world.organiser)
    await in_one.join(world.session.id)
    await in_other.join(world.second.id)
    await organiser.join(world.second.id)
    outsider_room = await clients(world.other_moderator)
    await outsider_room.join(world.other_session.id)

    posted = await organiser.call(
        "announcement.post", {"session": world.second.id, "text": "Coffee in the foyer", "client_id": client_id()}
    )
    # An HTTP action publishes through the same broadcaster, without Socket.IO in the service.
    async with database.session() as db:
        from server.accounts.models import Account

        account = await db.get_one(Account, world.organiser.account.id)
        outcome = await announcements.post_announcement(
            db,
            actor=Actor(account=account, roles=frozenset({Role.organiser})),
            event=world.event,
            text="Buses at six",
            client_id=client_id(),
        )
    future = asyncio.run_coroutine_threadsafe(live_rooms.live.publish(outcome.messages), live_rooms.live.loop)
    await asyncio.wrap_future(future)

    for client in (in_one, in_other):
        first = await client.wait_for("announcement", lambda a: a["announcement"]["text"] == "Coffee in the foyer")
        second = await client.wait_for("announcement", lambda a: a["announcement"]["text"] == "Buses at six")
        assert first["event"] == world.event.id and second["event"] == world.event.id
    assert posted["announcement"]["text"] == "Coffee in the foyer"
    assert outsider_room.received["announcement"] == []
    joined = await (await clients(world.speaker)).join(world.session.id)
    assert [a["text"] for a in joined["announcements"]] == ["Coffee in the foyer", "Buses at six"]
