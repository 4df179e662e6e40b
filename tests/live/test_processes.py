"""Several server processes on Redis and PostgreSQL: rooms are shared, resync works across processes,
and killing a process in the middle of a burst loses nothing that was acknowledged."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import socketio
from sqlmodel import select

from server.accounts.actors import Actor
from server.accounts.admin import set_account_disabled
from server.accounts.models import Account
from server.accounts.services import sign_out_everywhere
from server.db import Database
from server.live.models import Question, QuestionVote, RoomLog
from tests.support.app_processes import AppProcess
from tests.support.live_clients import LiveClient, client_id, lost_within
from tests.support.ports import port_open
from tests.support.private_services import private_redis
from tests.support.requirements import require
from tests.support.world import World

pytestmark = [
    pytest.mark.integration,
    pytest.mark.postgres,
    pytest.mark.parametrize("backend", ["postgres"], indirect=True),
]

REDIS_URL = os.environ.get("PODIUM_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@contextmanager
def two_processes(database_url: str, redis_url: str = REDIS_URL) -> Iterator[tuple[AppProcess, AppProcess]]:
    require("Redis", port_open("127.0.0.1", 6379))
    first = AppProcess(database_url, redis_url=redis_url)
    try:
        second = AppProcess(database_url, redis_url=redis_url)
    except BaseException:
        first.stop()
        raise
    try:
        yield first, second
    finally:
        first.stop()
        second.stop()


async def connected(url: str, person: Any) -> LiveClient:
    client = LiveClient()
    await client.connect(url, cookie=person.token)
    return client


async def test_question_through_one_process_reaches_clients_of_the_other(
    world: World, database_url: str, database: Database
) -> None:
    room = world.session.id
    with two_processes(database_url) as (first, second):
        asker = await connected(first.url, world.delegate)
        watcher = await connected(second.url, world.onsite)
        chair = await connected(second.url, world.moderator)
        try:
            for client in (asker, watcher, chair):
                assert (await client.join(room))["ok"]
            asked = await asker.call(
                "question.ask", {"session": room, "text": "Across processes?", "client_id": client_id()}
            )
            seen = await watcher.wait_for("room_event", lambda e: e["kind"] == "question")
            voted = await chair.call(
                "question.vote", {"session": room, "question": asked["question"]["id"], "vote": True}
            )
            counted = await asker.wait_for("counts", lambda c: c["votes"].get(str(asked["question"]["id"])) == 1)
            presence = await asker.wait_for("counts", lambda c: c["presence"]["connected"] == 3)

            await watcher.close()
            for n in range(3):
                await asker.call("question.ask", {"session": room, "text": f"While away {n}", "client_id": client_id()})
            back = await connected(first.url, world.onsite)
            resync = await back.join(room, since_seq=seen["seq"])
            await back.close()
        finally:
            for client in (asker, chair):
                await client.close()

    assert seen["data"]["text"] == "Across processes?"
    assert voted["votes"] == 1 and counted["session"] == room
    assert presence["presence"] == {"connected": 3, "online": 2, "onsite": 1}  # the chair has no registration: online
    assert resync["mode"] == "events"
    assert [e["data"]["text"] for e in resync["events"]] == [f"While away {n}" for n in range(3)]


async def test_mute_reaches_the_person_and_the_moderators_in_the_other_process(
    world: World, database_url: str, database: Database
) -> None:
    room, key = world.session.id, world.delegate.key
    with two_processes(database_url) as (first, second):
        talker = await connected(first.url, world.delegate)
        co_chair = await connected(first.url, world.organiser)
        chair = await connected(second.url, world.moderator)
        try:
            for client in (talker, co_chair, chair):
                assert (await client.join(room))["ok"]
            await talker.call("chat.send", {"session": room, "text": "Hello", "client_id": client_id()})
            await chair.call("participant.mute", {"session": room, "participant": key, "muted": True})
            notice = await talker.wait_for("muted", lambda n: n["muted"])
            listed = await co_chair.wait_for("room_event", lambda e: e["kind"] == "mute")
            await co_chair.call("participant.mute", {"session": room, "participant": key, "muted": False})
            cleared = await chair.wait_for("room_event", lambda e: e["kind"] == "mute" and not e["data"]["muted"])
            lifted = await talker.wait_for("muted", lambda n: not n["muted"])
        finally:
            for client in (talker, co_chair, chair):
                await client.close()

    assert (notice["seq"], notice["muted"]) == (listed["seq"], True)
    assert (listed["data"]["person"]["name"], listed["data"]["person"]["by"]["name"]) == ("Ayu Online", "Chair Person")
    assert (lifted["seq"], lifted["muted"]) == (cleared["seq"], False)


async def test_killed_process_loses_nothing_acknowledged(world: World, database_url: str, database: Database) -> None:
    room = world.session.id
    people = [world.delegate, world.onsite, world.speaker, world.moderator, world.organiser]
    acked_questions: dict[str, int] = {}  # client_id -> question id
    acked_votes: set[tuple[int, str]] = set()
    sent: list[tuple[LiveClient, dict[str, Any]]] = []
    with two_processes(database_url) as (doomed, survivor):
        chair = await connected(doomed.url, world.moderator)
        await chair.join(room)
        seed = [
            (await chair.call("question.ask", {"session": room, "text": f"Seed {n}", "client_id": client_id()}))[
                "question"
            ]["id"]
            for n in range(5)
        ]
        clients = [await connected(doomed.url, person) for person in people]
        watcher = await connected(survivor.url, world.delegate)
        last_seq = {}
        try:
            for client in clients:
                joined = await client.join(room)
                last_seq[id(client)] = joined["seq"]
            await watcher.join(room)

            async def burst(client: LiveClient, person: Any) -> None:
                for n in range(20):
                    payload = {"session": room, "text": f"Burst {n} {person.key}", "client_id": client_id()}
                    sent.append((client, payload))
                    try:
                        answer = await client.sio.call("question.ask", payload, namespace="/live", timeout=3)
                    except Exception:
                        return
                    if answer.get("ok"):
                        acked_questions[payload["client_id"]] = answer["question"]["id"]
                    question = seed[n % len(seed)]
                    try:
                        vote = await client.sio.call(
                            "question.vote",
                            {"session": room, "question": question, "vote": True},
                            namespace="/live",
                            timeout=3,
                        )
                    except Exception:
                        return
                    if vote.get("ok"):
                        acked_votes.add((question, person.key))

            tasks = [asyncio.create_task(burst(client, person)) for client, person in zip(clients, people, strict=True)]
            while len(acked_questions) < 10:
                await asyncio.sleep(0.01)
            doomed.kill()
            acked_at_kill = len(acked_questions)
            await asyncio.gather(*tasks)

            # Reconnect to the survivor, catch up, and retry what was never acknowledged.
            caught_up = []
            for client, person in zip(clients, people, strict=True):
                await client.close()
                received = {e["seq"] for e in client.room_events(room)}
                contiguous = last_seq[id(client)]
                while contiguous + 1 in received:
                    contiguous += 1
                again = await connected(survivor.url, person)
                resync = await again.join(room, since_seq=contiguous)
                caught_up.append((last_seq[id(client)], received, resync))
                for owner, payload in sent:
                    if owner is client and payload["client_id"] not in acked_questions:
                        retry = await again.call("question.ask", payload)
                        assert retry["ok"], retry
                        acked_questions[payload["client_id"]] = retry["question"]["id"]
                await again.close()
        finally:
            await chair.close()
            await watcher.close()

    async with database.session() as db:
        rows = (await db.exec(select(Question).where(Question.session_id == room))).all()
        stored = {row.client_id: row.id for row in rows}
        votes = set((await db.exec(select(QuestionVote.question_id, QuestionVote.voter_key))).all())
        seqs = list((await db.exec(select(RoomLog.seq).where(RoomLog.session_id == room).order_by(RoomLog.seq))).all())
    assert acked_at_kill < len(people) * 20  # killed in the middle of the burst
    assert {cid: stored.get(cid) for cid in acked_questions} == acked_questions
    assert len(rows) == len(seed) + len({payload["client_id"] for _client, payload in sent})  # each once
    assert acked_votes <= votes
    assert seqs == list(range(1, len(seqs) + 1))
    for joined_at, received, resync in caught_up:
        assert resync["mode"] == "events"
        assert received | {e["seq"] for e in resync["events"]} >= set(range(joined_at + 1, resync["seq"] + 1))


async def test_a_join_shows_changes_made_through_the_other_process(world: World, database_url: str) -> None:
    """Each process keeps a room's state for joins while its seq stands still; a change committed by
    another process moves the seq, so the next join here reads the room again."""
    room = world.session.id
    with two_processes(database_url) as (first, second):
        chair = await connected(second.url, world.moderator)
        early = await connected(first.url, world.delegate)
        try:
            await chair.join(room)
            before = await early.join(room)  # the first process now keeps the room at this seq
            asked = await chair.call("question.ask", {"session": room, "text": "From afar", "client_id": client_id()})
            await chair.call("question.highlight", {"session": room, "question": asked["question"]["id"]})
            await chair.call("question.vote", {"session": room, "question": asked["question"]["id"], "vote": True})
            late = await connected(first.url, world.onsite)
            after = await late.join(room)
            await late.close()
        finally:
            for client in (chair, early):
                await client.close()

    assert before["questions"] == []
    assert after["seq"] == before["seq"] + 2
    assert [(q["text"], q["votes"]) for q in after["questions"]] == [("From afar", 1)]
    assert after["room"]["highlighted"]["id"] == asked["question"]["id"]


async def test_disabling_an_account_closes_its_sockets_in_every_process(
    world: World, database_url: str, database: Database
) -> None:
    """Each process reads the revocations from the database: no message between processes is needed."""
    room = world.session.id
    async with database.session() as db:
        admin = Account(email="admin@example.org", name="Instance Admin", admin=True)
        db.add(admin)
        await db.commit()
        await db.refresh(admin)
    with two_processes(database_url) as (first, second):
        chairs = [await connected(first.url, world.moderator), await connected(second.url, world.moderator)]
        asker = await connected(first.url, world.delegate)
        try:
            for client in (*chairs, asker):
                assert (await client.join(room))["ok"]
            async with database.session() as db:
                await set_account_disabled(
                    db, actor=Actor(account=admin), account_id=world.moderator.account.id or 0, disabled=True
                )
            lost = [await lost_within(chair, "participant.muted", {"session": room}) for chair in chairs]
            still = await asker.call("chat.send", {"session": room, "text": "Still here", "client_id": client_id()})
        finally:
            for client in (*chairs, asker):
                await client.close()

    assert lost == ["disconnected", "disconnected"]
    assert [chair.received["revoked"][0]["reason"] for chair in chairs] == ["disabled", "disabled"]
    assert still["ok"] is True


async def test_revocation_reaches_sockets_in_every_process_while_redis_is_down(
    world: World, database_url: str, database: Database
) -> None:
    """The revocations travel through the database, not the bus."""
    room = world.session.id
    with private_redis() as redis, two_processes(database_url, redis.url) as (first, second):
        tabs = [await connected(first.url, world.delegate), await connected(second.url, world.delegate)]
        try:
            for tab in tabs:
                assert (await tab.join(room))["ok"]
            redis.kill()
            async with database.session() as db:
                await sign_out_everywhere(db, account=world.delegate.account)
            lost = [await lost_within(tab, "chat.history", {"session": room, "before": 1}) for tab in tabs]
        finally:
            for tab in tabs:
                await tab.close()

    assert lost == ["disconnected", "disconnected"]
    assert [tab.received["revoked"][0]["reason"] for tab in tabs] == ["signed_out", "signed_out"]


async def test_limits_hold_per_person_across_processes(world: World, database_url: str, database: Database) -> None:
    room = world.session.id
    with two_processes(database_url) as (first, second):
        tabs = [await connected(process.url, world.delegate) for process in (first, second) * 3]
        try:
            for tab in tabs:
                assert (await tab.join(room))["ok"] is True
            started = time.monotonic()
            asked = await asyncio.gather(
                *(
                    tab.call("question.ask", {"session": room, "text": f"Tab {n}", "client_id": client_id()})
                    for n, tab in enumerate(tabs * 2)
                )
            )
            elapsed = time.monotonic() - started
            more = [await connected(process.url, world.delegate) for process in (first, second) * 7]
            tabs += more
            refused = [await _refused_connection(process.url, world.delegate) for process in (first, second)]
        finally:
            for tab in tabs:
                await tab.close()

    accepted = sum(answer["ok"] for answer in asked)
    # One person's 5 questions a minute, whichever process their tabs are on (per connection: 12).
    assert 5 <= accepted <= 5 + elapsed / 12 < 12
    async with database.session() as db:
        assert len((await db.exec(select(Question))).all()) == accepted
    # 20 connections per account over both processes: 6 + 14 open, the 21st refused on either.
    assert len(tabs) == 20
    assert [error["data"] for error in refused] == [{"code": "too_many_connections"}] * 2


async def _refused_connection(url: str, person: Any) -> dict[str, Any]:
    client = LiveClient()
    errors: list[dict[str, Any]] = []
    client.sio.on("connect_error", lambda data: errors.append(data), namespace="/live")
    with pytest.raises(socketio.exceptions.ConnectionError):
        await client.connect(url, cookie=person.token)
    await client.sio.shutdown()
    return errors[0]
