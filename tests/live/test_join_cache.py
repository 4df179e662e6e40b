"""Join answers come from a room state each process keeps while the room's seq stands still: a join right
after any change must show it, votes must be current, and nobody may see another person's view."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import bindparam
from sqlmodel import select

from server.db import Database, read_latest
from server.live.access import room_token
from server.live.models import LiveRoom, LiveSettings
from server.settings import Settings
from tests.support import factories
from tests.support.live_clients import client_id
from tests.support.servers import LiveRoomsServer
from tests.support.world import World

pytestmark = [pytest.mark.integration, pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)]


async def call_ok(client: Any, event: str, **payload: Any) -> dict[str, Any]:
    answer: dict[str, Any] = await client.call(event, payload)
    assert answer["ok"] is True, answer
    return answer


async def test_a_join_right_after_each_change_shows_it(world: World, clients) -> None:
    room = world.session.id
    chair = await clients(world.moderator)
    await chair.join(room)
    fresh = await clients(world.delegate)  # joins again after every change, each time without since_seq

    async def snapshot() -> dict[str, Any]:
        answer = await fresh.join(room)
        assert answer["mode"] == "snapshot", answer
        return answer

    empty = await snapshot()
    asked = (await call_ok(chair, "question.ask", session=room, text="First wording", client_id=client_id()))[
        "question"
    ]
    after_ask = await snapshot()
    await call_ok(chair, "question.edit", session=room, question=asked["id"], text="Second wording")
    after_edit = await snapshot()
    await call_ok(chair, "question.highlight", session=room, question=asked["id"])
    after_highlight = await snapshot()
    said = (await call_ok(chair, "chat.send", session=room, text="Welcome", client_id=client_id()))["message"]
    after_chat = await snapshot()
    await call_ok(chair, "chat.delete", session=room, message=said["id"])
    after_delete = await snapshot()
    poll = (
        await call_ok(
            chair,
            "poll.create",
            session=room,
            question="Coffee?",
            kind="single",
            options=["Yes", "No"],
            client_id=client_id(),
        )
    )["poll"]
    after_draft = await snapshot()
    await call_ok(chair, "poll.open", session=room, poll=poll["id"])
    after_open = await snapshot()
    await call_ok(chair, "room.update", session=room, qa_open=False)
    after_close = await snapshot()
    await call_ok(chair, "question.archive", session=room, question=asked["id"], archived=True)
    after_archive = await snapshot()

    assert (empty["questions"], empty["chat"], empty["polls"]) == ([], [], [])
    assert [q["text"] for q in after_ask["questions"]] == ["First wording"]
    assert [(q["text"], q["edited"]) for q in after_edit["questions"]] == [("Second wording", True)]
    assert after_highlight["room"]["highlighted"]["id"] == asked["id"]
    assert [m["text"] for m in after_chat["chat"]] == ["Welcome"]
    assert after_delete["chat"] == []
    assert after_draft["polls"] == []  # drafts are for moderators
    assert [(p["id"], p["status"]) for p in after_open["polls"]] == [(poll["id"], "open")]
    assert after_close["room"]["qa_open"] is False
    assert (after_archive["questions"], after_archive["room"]["highlighted"]) == ([], None)
    assert [a["seq"] for a in (after_ask, after_edit, after_highlight, after_archive)] == [
        1,
        2,
        3,
        10,
    ]  # archiving the highlighted question clears the highlight too


async def test_votes_and_poll_results_in_a_join_are_current(world: World, clients) -> None:
    """Votes move no seq, so the kept room state is older than them: the answer still shows them."""
    room = world.session.id
    chair, voter = await clients(world.moderator), await clients(world.onsite)
    await chair.join(room)
    await voter.join(room)
    question = (await call_ok(chair, "question.ask", session=room, text="Vote on me", client_id=client_id()))[
        "question"
    ]
    await call_ok(chair, "question.highlight", session=room, question=question["id"])
    poll = (
        await call_ok(
            chair,
            "poll.create",
            session=room,
            question="Tea?",
            kind="single",
            options=["Yes", "No"],
            client_id=client_id(),
        )
    )["poll"]
    await call_ok(chair, "poll.open", session=room, poll=poll["id"])
    await call_ok(chair, "poll.show_results", session=room, poll=poll["id"], visible=True)
    before = await (await clients(world.delegate)).join(room)  # the state is kept from here on

    await call_ok(voter, "question.vote", session=room, question=question["id"], vote=True)
    await call_ok(voter, "poll.vote", session=room, poll=poll["id"], options=[poll["options"][0]["id"]])
    after = await (await clients(world.delegate)).join(room)

    assert before["seq"] == after["seq"]
    assert [q["votes"] for q in before["questions"]] == [0]
    assert [q["votes"] for q in after["questions"]] == [1]
    assert after["room"]["highlighted"]["votes"] == 1
    assert after["counts"]["votes"] == {str(question["id"]): 1}
    shown = after["polls"][0]
    assert ([option["votes"] for option in shown["options"]], shown["voters"]) == ([1, 0], 1)


async def test_each_person_sees_only_their_own_view_of_a_shared_state(world: World, clients) -> None:
    room = world.session.id
    chair, asker, onsite = await clients(world.moderator), await clients(world.delegate), await clients(world.onsite)
    for client in (chair, asker, onsite):
        await client.join(room)
    await call_ok(chair, "room.update", session=room, moderated=True)
    pending = (await call_ok(asker, "question.ask", session=room, text="Still in review", client_id=client_id()))[
        "question"
    ]
    hidden = (
        await call_ok(onsite, "question.ask", session=room, text="Who asked?", anonymous=True, client_id=client_id())
    )["question"]
    await call_ok(chair, "question.approve", session=room, question=hidden["id"])

    # The audience joins first, so the others are answered from the state its join read.
    audience = await (await clients(world.speaker)).join(room)
    own = await (await clients(world.delegate)).join(room)
    anonymous_asker = await (await clients(world.onsite)).join(room)
    moderator = await (await clients(world.organiser)).join(room)

    def seen(answer: dict[str, Any]) -> list[tuple[str, bool, Any]]:
        return [(q["text"], q["mine"], q["author"]) for q in answer["questions"]]

    assert seen(audience) == [("Who asked?", False, None)]
    assert seen(own) == [
        ("Still in review", True, {"key": world.delegate.key, "name": "Ayu Online"}),
        ("Who asked?", False, None),
    ]
    assert seen(anonymous_asker) == [("Who asked?", True, {"key": world.onsite.key, "name": "Bima Onsite"})]
    assert [(q["id"], q["status"], q["author"]["key"]) for q in moderator["questions"]] == [
        (pending["id"], "pending", world.delegate.key),
        (hidden["id"], "approved", world.onsite.key),
    ]
    assert "muted" in moderator and "muted" not in audience


async def test_a_crowd_joining_an_unchanged_room_reads_it_once(
    world: World, clients, live_rooms: LiveRoomsServer
) -> None:
    room = world.session.id
    chair = await clients(world.moderator)
    await chair.join(room)
    await call_ok(chair, "question.ask", session=room, text="Read once", client_id=client_id())
    cache = live_rooms.live.room_cache
    reads = cache.reads

    crowd = [await clients(person) for person in (world.delegate, world.onsite, world.speaker, world.organiser)]
    answers = [await client.join(room) for client in crowd]
    reads_for_crowd = cache.reads - reads
    await call_ok(chair, "question.ask", session=room, text="Read again", client_id=client_id())
    latest = await crowd[0].join(room)

    assert reads_for_crowd == 1
    assert all([q["text"] for q in answer["questions"]] == ["Read once"] for answer in answers)
    assert [q["text"] for q in latest["questions"]] == ["Read once", "Read again"]
    assert cache.reads - reads == 2


async def test_a_new_guest_sees_their_votes_when_joining_again(
    world: World, clients, database: Database, settings: Settings
) -> None:
    room = world.session.id
    async with database.session() as db:
        await factories.set_live_settings(db, world.event, anonymous_guests=True)
    chair = await clients(world.moderator)
    await chair.join(room)
    question = (await call_ok(chair, "question.ask", session=room, text="Vote here", client_id=client_id()))["question"]
    token = room_token(settings.secret_key, event_id=world.event.id or 0, session_id=room or 0)
    guest = await clients(auth={"room_token": token})

    first = await guest.join(room)
    await call_ok(guest, "question.vote", session=room, question=question["id"], vote=True)
    again = await guest.join(room)  # the same connection, whose guest id was new when it connected

    assert (first["me"]["voted"], first["me"]["muted"]) == ([], False)
    assert again["me"]["voted"] == [question["id"]]
    assert again["me"]["key"] == first["me"]["key"]


async def test_latest_reads_see_each_commit_at_once(world: World, database: Database) -> None:
    """What joins read outside a transaction is the latest commit, however long the reader stays open."""
    room = world.session.id or 0
    writer = Database(database.url)
    statement = select(LiveSettings.anonymous_guests).where(LiveSettings.event_id == bindparam("event"))
    seen = []
    try:
        async with database.session() as reads:
            for allowed in (True, False, True):
                async with writer.session() as db:
                    await factories.set_live_settings(db, world.event, anonymous_guests=allowed)
                rows = await read_latest(reads, statement, {"event": world.event.id})
                seen.append(rows[0].anonymous_guests)
            missing = await read_latest(reads, select(LiveRoom.seq).where(LiveRoom.session_id == room))
    finally:
        await writer.dispose()

    assert seen == [True, False, True]
    assert missing == []
