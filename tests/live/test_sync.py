"""Durability: every change has its seq, resync returns exactly what was missed, retries are idempotent."""

from __future__ import annotations

import pytest
from sqlmodel import func, select

from server.db import Database
from server.live.chat import send_message
from server.live.models import ChatMessage, Question, RoomLog
from tests.support.factories import moderator_in
from tests.support.live_clients import client_id
from tests.support.world import World

pytestmark = [pytest.mark.integration, pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)]


async def test_since_seq_returns_exactly_the_missed_events(world: World, clients) -> None:
    room = world.session.id
    moderator, watcher = await clients(world.moderator), await clients(world.delegate)
    await moderator.join(room)
    first = await watcher.join(room)
    for n in range(3):
        await moderator.call("question.ask", {"session": room, "text": f"Seen {n}", "client_id": client_id()})
    seen = await watcher.wait_for("room_event", lambda e: e["seq"] == 3)
    await watcher.close()

    missed = []
    for n in range(4):
        missed.append(
            (await moderator.call("question.ask", {"session": room, "text": f"Missed {n}", "client_id": client_id()}))[
                "question"
            ]["id"]
        )
    await moderator.call("chat.send", {"session": room, "text": "hello again", "client_id": client_id()})
    back = await (await clients(world.delegate)).join(room, since_seq=seen["seq"])

    assert first["seq"] == 0
    assert back["mode"] == "events"
    assert [e["seq"] for e in back["events"]] == [4, 5, 6, 7, 8]
    assert back["seq"] == 8
    assert [e["data"]["id"] for e in back["events"][:4]] == missed
    assert [e["kind"] for e in back["events"]] == ["question"] * 4 + ["chat"]
    assert back["events"][4]["data"]["text"] == "hello again"


async def test_since_seq_projects_events_for_the_viewer(world: World, clients) -> None:
    room = world.session.id
    moderator, asker = await clients(world.moderator), await clients(world.delegate)
    await moderator.join(room)
    await asker.join(room)
    await moderator.call("room.update", {"session": room, "moderated": True})
    await asker.call("question.ask", {"session": room, "text": "Under review", "client_id": client_id()})

    audience = await (await clients(world.onsite)).join(room, since_seq=0)
    own = await (await clients(world.delegate)).join(room, since_seq=1)
    chair = await (await clients(world.organiser)).join(room, since_seq=1)

    assert [e["kind"] for e in audience["events"]] == ["room", "skip"]
    assert [(e["kind"], e["data"]["status"], e["data"]["mine"]) for e in own["events"]] == [
        ("question", "pending", True)
    ]
    assert [(e["kind"], e["data"]["status"]) for e in chair["events"]] == [("question", "pending")]


async def test_snapshot_when_too_far_behind_or_ahead(world: World, clients) -> None:
    room = world.session.id
    client = await clients(world.moderator)
    await client.join(room)
    await client.call("question.ask", {"session": room, "text": "One", "client_id": client_id()})

    ahead = await client.join(room, since_seq=99)
    current = await client.join(room, since_seq=1)

    assert (ahead["mode"], ahead["seq"], [q["text"] for q in ahead["questions"]]) == ("snapshot", 1, ["One"])
    assert (current["mode"], current["events"]) == ("events", [])


async def test_client_id_retry_is_idempotent(world: World, clients, database: Database) -> None:
    room = world.session.id
    client = await clients(world.delegate)
    await client.join(room)
    question = {"session": room, "text": "Asked twice?", "client_id": client_id()}
    message = {"session": room, "text": "Said twice?", "client_id": client_id()}

    first, retry = await client.call("question.ask", question), await client.call("question.ask", question)
    said, said_again = await client.call("chat.send", message), await client.call("chat.send", message)
    # After a reconnect, on a new connection.
    again = await (await clients(world.delegate)).join(room)
    other_connection = await clients(world.delegate)
    await other_connection.join(room)
    third = await other_connection.call("question.ask", question)

    assert retry["duplicate"] is True and third["duplicate"] is True
    assert first["question"]["id"] == retry["question"]["id"] == third["question"]["id"]
    assert said["message"]["id"] == said_again["message"]["id"]
    assert again["seq"] == 2
    async with database.session() as db:
        assert (await db.exec(select(func.count()).select_from(Question))).one() == 1
        assert (await db.exec(select(func.count()).select_from(ChatMessage))).one() == 1
        assert (await db.exec(select(func.count()).select_from(RoomLog))).one() == 2


async def test_seq_has_no_gaps_under_concurrent_writes(world: World, clients, database: Database) -> None:
    import asyncio

    room = world.session.id
    askers = [await clients(person) for person in (world.delegate, world.onsite, world.speaker, world.moderator)]
    for client in askers:
        await client.join(room)

    answers = await asyncio.gather(
        *(
            client.call("question.ask", {"session": room, "text": f"Q {n} from {i}", "client_id": client_id()})
            for i, client in enumerate(askers)
            for n in range(5)
        )
    )

    assert all(answer["ok"] for answer in answers)
    async with database.session() as db:
        seqs = (await db.exec(select(RoomLog.seq).where(RoomLog.session_id == room).order_by(RoomLog.seq))).all()
    assert list(seqs) == list(range(1, 21))
    watcher = askers[0]
    await watcher.wait_for("room_event", lambda e: e["seq"] == 20)
    assert sorted(e["seq"] for e in watcher.room_events(room)) == list(range(1, 21))


async def test_rejoins_under_concurrent_writes_never_skip_an_event(world: World, clients, database: Database) -> None:
    """A rejoin's ``seq`` is never ahead of the last event it brings: the client takes that ``seq`` and
    would never ask for what lies between again."""
    import asyncio

    room = world.session.id
    # Three people, each under their own limit of requests.
    rejoiners = [await clients(person) for person in (world.delegate, world.onsite, world.speaker)]
    last = [(await rejoiner.join(room))["seq"] for rejoiner in rejoiners]
    chair = moderator_in(world.moderator, event=world.event, session=world.session)
    writing = True

    async def write() -> None:  # as fast as the database takes them, beside the live server
        n = 0
        while writing:
            n += 1
            async with database.session() as db:
                await send_message(db, actor=chair, session_id=room, text=f"Busy {n}", client_id=client_id())
            await asyncio.sleep(0)

    writer = asyncio.create_task(write())
    ahead = []
    seen: list[list[int]] = [[], [], []]
    try:
        for turn in range(45):
            which = turn % len(rejoiners)
            answer = await rejoiners[which].join(room, since_seq=last[which])
            assert answer["mode"] == "events", answer
            seqs = [event["seq"] for event in answer["events"]]
            if answer["seq"] != (seqs[-1] if seqs else last[which]):
                ahead.append((last[which], answer["seq"], seqs))
            seen[which] += seqs
            last[which] = answer["seq"]
    finally:
        writing = False
        await writer

    assert ahead == []
    for which, seqs in enumerate(seen):
        assert seqs == list(range(1, last[which] + 1))
