"""Live rooms under faults (Jepsen-style): app processes killed with -9, Redis killed, frozen and restarted,
PostgreSQL crashed and restarted. Afterwards nothing acknowledged is lost or doubled, the room's ``seq`` has
no gaps, and every client, following the protocol as client.js does, shows what the database holds."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from sqlmodel import select

from realtime.live.coalescer import Coalescer
from realtime.live.person_rooms import SharedPersonRooms
from realtime.live.presence import Presence
from server.broadcast import CountsChanged
from server.db import Database
from server.live.models import Question, RoomLog
from server.live.questions import ask_question
from tests.support.app_processes import AppProcess
from tests.support.factories import Person, moderator_in
from tests.support.live_clients import NAMESPACE, LiveClient, client_id
from tests.support.private_services import PrivatePostgres, PrivateRedis
from tests.support.world import World

pytestmark = [pytest.mark.integration, pytest.mark.slow]

GAP_WAIT = 1.0  # as client.js: a gap is waited for this long before asking for what is missing


class Follower(LiveClient):
    """A client that keeps a room as client.js does: applies events in seq order, joins again with
    ``since_seq`` after a gap, a ``resync`` or a reconnect, and keeps the latest counts."""

    def __init__(self, room: int) -> None:
        super().__init__()
        self.room = room
        self.last: int | None = None
        self.base = 0  # the seq of the last snapshot: applied seqs follow it
        self.applied: list[int] = []  # seqs applied, in order
        self.questions: dict[int, str] = {}  # id -> text, as shown
        self.votes: dict[str, int] = {}
        self.held: dict[int, dict[str, Any]] = {}
        self.live: list[tuple[float, dict[str, Any]]] = []  # room events as they came, with the time
        self.resyncs = 0
        self._rejoin: asyncio.Task[None] | None = None
        self._joining = asyncio.Lock()  # one join at a time, as client.js
        self.sio.on("room_event", self._on_event, namespace=NAMESPACE)
        self.sio.on("counts", self._on_counts, namespace=NAMESPACE)
        self.sio.on("resync", self._on_resync, namespace=NAMESPACE)

    async def follow(self, url: str, person: Person) -> Follower:
        await self.connect(url, cookie=person.token)
        await self.catch_up()
        return self

    async def catch_up(self) -> None:
        async with self._joining:
            await self._catch_up()

    async def _catch_up(self) -> None:
        answer = await self.join(self.room, since_seq=self.last)
        assert answer["ok"], answer
        if answer["mode"] == "snapshot":
            self.questions = {q["id"]: q["text"] for q in answer["questions"]}
            self.base, self.applied = answer["seq"], []
        else:
            for event in answer["events"]:
                if self.last is None or event["seq"] > self.last:
                    self._apply(event)
        self.last = answer["seq"]
        self.votes.update(answer["counts"]["votes"])
        self._drain()

    def _apply(self, event: dict[str, Any]) -> None:
        self.last = event["seq"]
        self.applied.append(event["seq"])
        if event["kind"] == "question":
            self.questions[event["data"]["id"]] = event["data"]["text"]
            self.votes[str(event["data"]["id"])] = event["data"]["votes"]

    def _drain(self) -> None:
        while self.last is not None and self.last + 1 in self.held:
            self._apply(self.held.pop(self.last + 1))
        self.held = {seq: event for seq, event in self.held.items() if self.last is None or seq > self.last}

    async def _on_event(self, event: dict[str, Any]) -> None:
        self.received["room_event"].append(event)
        self.live.append((time.monotonic(), event))
        if event["session"] != self.room:
            return
        self.held[event["seq"]] = event  # while a join is in flight, applied after its answer
        if self._joining.locked() or self.last is None:
            return
        self._drain()
        if self.held:
            self._schedule(GAP_WAIT)

    async def _on_counts(self, counts: dict[str, Any]) -> None:
        self.received["counts"].append(counts)
        if counts["session"] == self.room:
            self.votes.update(counts["votes"])

    async def _on_resync(self, _data: Any = None) -> None:
        self.resyncs += 1
        self._schedule(0.0)

    def _schedule(self, delay: float) -> None:
        if self._rejoin is None or self._rejoin.done():
            self._rejoin = asyncio.create_task(self._rejoin_after(delay))

    async def _rejoin_after(self, delay: float) -> None:
        await asyncio.sleep(delay)
        with contextlib.suppress(Exception):  # the connection may be gone: the test reconnects
            await self.catch_up()

    async def reconnect(self, url: str, person: Person) -> None:
        with contextlib.suppress(Exception):
            await self.close()
        self.sio = LiveClient().sio
        for event, handler in (
            ("room_event", self._on_event),
            ("counts", self._on_counts),
            ("resync", self._on_resync),
        ):
            self.sio.on(event, handler, namespace=NAMESPACE)
        await self.connect(url, cookie=person.token)
        await self.catch_up()


class Writer:
    """Asks questions and votes through one connection, remembering what was acknowledged, and retries
    what was not with the same client id (as client.js does after reconnecting)."""

    def __init__(self, client: LiveClient, room: int, *, timeout: float = 3.0) -> None:
        self.client = client
        self.room = room
        self.timeout = timeout
        self.acked: dict[str, int] = {}  # client id -> question id
        self.unacked: dict[str, dict[str, Any]] = {}
        self.ack_times: list[float] = []

    async def ask(self, text: str) -> dict[str, Any] | None:
        payload = {"session": self.room, "text": text, "client_id": client_id()}
        self.unacked[payload["client_id"]] = payload
        return await self._send_until_allowed(payload)

    async def _send_until_allowed(self, payload: dict[str, Any]) -> dict[str, Any] | None:
        """Limits hold per person: several tabs of one person bursting wait, as client.js does, then retry."""
        while (answer := await self._send(payload)) is not None and answer.get("code") == "rate_limited":
            await asyncio.sleep(0.5)
        return answer

    async def _send(self, payload: dict[str, Any]) -> dict[str, Any] | None:
        started = time.monotonic()
        try:
            answer: dict[str, Any] = await self.client.sio.call(
                "question.ask", payload, namespace=NAMESPACE, timeout=self.timeout
            )
        except Exception:
            return None
        if answer.get("ok"):
            self.ack_times.append(time.monotonic() - started)
            self.acked[payload["client_id"]] = answer["question"]["id"]
            self.unacked.pop(payload["client_id"], None)
        return answer

    async def retry(self) -> None:
        for payload in list(self.unacked.values()):
            answer = await self._send_until_allowed(payload)
            assert answer is not None and answer["ok"], answer


async def room_in_database(database: Database, room: int) -> tuple[list[int], dict[str, int], dict[int, str]]:
    """The room's log seqs, its questions' votes and texts, as committed."""
    async with database.session() as db:
        seqs = list((await db.exec(select(RoomLog.seq).where(RoomLog.session_id == room).order_by(RoomLog.seq))).all())
        questions = (await db.exec(select(Question).where(Question.session_id == room))).all()
    return seqs, {str(q.id): q.votes for q in questions}, {q.id or 0: q.text for q in questions}


async def converged(follower: Follower, database: Database, *, timeout: float = 20.0) -> None:
    """Waits until the follower shows the database's room: every seq once, in order, the same questions
    and votes."""
    deadline = time.monotonic() + timeout
    while True:
        seqs, votes, texts = await room_in_database(database, follower.room)
        shown = {key: follower.votes.get(key) for key in votes}
        newest = seqs[-1] if seqs else 0
        view = (follower.applied, follower.questions, shown)
        expected = (list(range(follower.base + 1, newest + 1)), texts, votes)
        if view == expected:
            return
        if time.monotonic() > deadline:
            assert view == expected
        await asyncio.sleep(0.1)


async def assert_nothing_lost_or_doubled(database: Database, room: int, writers: list[Writer]) -> None:
    seqs, _votes, _texts = await room_in_database(database, room)
    async with database.session() as db:
        rows = (await db.exec(select(Question.client_id, Question.id).where(Question.session_id == room))).all()
    stored: dict[str, list[int]] = {}
    for cid, question_id in rows:
        stored.setdefault(cid, []).append(question_id or 0)
    for writer in writers:
        assert {cid: stored.get(cid) for cid in writer.acked} == {cid: [qid] for cid, qid in writer.acked.items()}
    assert all(len(ids) == 1 for ids in stored.values())
    assert seqs == list(range(1, len(seqs) + 1))


@asynccontextmanager
async def opened(*clients: LiveClient) -> AsyncIterator[None]:
    try:
        yield
    finally:
        for client in clients:
            with contextlib.suppress(Exception):
                await client.close()


async def connected(url: str, person: Person) -> LiveClient:
    client = LiveClient()
    await client.connect(url, cookie=person.token)
    return client


# Redis: frozen, killed and restarted under two app processes sharing it.


@asynccontextmanager
async def room_over_one_redis(
    world: World, database_url: str
) -> AsyncIterator[tuple[PrivateRedis, LiveClient, Follower, Follower]]:
    """Two app processes on a private Redis: the chair and a delegate on the first, a delegate on the second."""
    room = world.session.id or 0
    redis = PrivateRedis()
    first, second = AppProcess(database_url, redis_url=redis.url), AppProcess(database_url, redis_url=redis.url)
    try:
        chair = await connected(first.url, world.moderator)
        near = await Follower(room).follow(first.url, world.delegate)
        far = await Follower(room).follow(second.url, world.onsite)
        async with opened(chair, near, far):
            await chair.join(room)
            yield redis, chair, near, far
    finally:
        redis.stop()
        first.stop()
        second.stop()


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
async def test_frozen_redis_stalls_no_acknowledgement_and_loses_nothing(
    world: World, database_url: str, database: Database
) -> None:
    room = world.session.id or 0
    async with room_over_one_redis(world, database_url) as (redis, chair, near, far):
        writer = Writer(chair, room)
        await writer.ask("Before the freeze")
        await converged(far, database)

        redis.freeze()
        for n in range(5):
            await writer.ask(f"While Redis hangs {n}")
        frozen_acks = list(writer.ack_times)
        await converged(near, database, timeout=5)  # this process's clients: at once, without Redis
        redis.thaw()
        await converged(far, database)
        await assert_nothing_lost_or_doubled(database, room, [writer])

    assert len(writer.acked) == 6
    assert max(frozen_acks) < 1.0, frozen_acks


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
async def test_redis_down_then_back_counts_reach_everyone_and_delivery_resumes_within_2s(
    world: World, database_url: str, database: Database
) -> None:
    room = world.session.id or 0
    async with room_over_one_redis(world, database_url) as (redis, chair, near, far):
        writer = Writer(chair, room)
        asked = await writer.ask("Vote for me")
        assert asked is not None
        question = str(asked["question"]["id"])
        await converged(far, database)

        redis.kill()
        vote = await chair.call("question.vote", {"session": room, "question": int(question), "vote": True})
        await writer.ask("While Redis is down")
        counted = await near.wait_for("counts", lambda c: c["votes"].get(question) == 1, timeout=5)
        await converged(near, database, timeout=5)
        await asyncio.sleep(8)  # long enough for a doubling retry pause to pass 4 seconds

        redis.start()
        back_at = time.monotonic()
        sent: dict[str, float] = {}
        while time.monotonic() - back_at < 6:
            answer = await writer.ask(f"After Redis returned {len(sent)}")
            assert answer is not None
            sent[answer["question"]["text"]] = time.monotonic()
            await asyncio.sleep(0.2)
        live_after = [
            at
            for at, event in far.live
            if event["kind"] == "question" and event["data"]["text"] in sent and at > back_at
        ]
        await converged(far, database)
        await converged(near, database)
        await assert_nothing_lost_or_doubled(database, room, [writer])

    assert vote["ok"] and counted["votes"][question] == 1  # the chair's own process, while Redis was down
    assert far.votes[question] == 1 and far.resyncs >= 1  # the other process's client, once Redis returned
    assert live_after, "no question reached the other process over Redis after it returned"
    assert min(live_after) - back_at < 2.0


# App processes: kill -9 in the middle of a burst, then a restart on the same database.


@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
async def test_killed_app_process_restarted_every_client_converges(
    world: World, database_url: str, database: Database
) -> None:
    room = world.session.id or 0
    people = [world.delegate, world.onsite, world.speaker] * 2
    app = AppProcess(database_url)
    chair = await connected(app.url, world.moderator)
    followers = [await Follower(room).follow(app.url, person) for person in people]
    writers: list[Writer] = []
    try:
        await chair.join(room)
        chairs = [chair, *[await connected(app.url, world.organiser) for _ in range(2)]]
        for client in chairs[1:]:
            await client.join(room)
        writers = [Writer(client, room) for client in chairs]

        async def burst(writer: Writer, phase: str) -> None:
            for turn in range(30):
                if await writer.ask(f"Burst {phase} {turn}") is None:
                    return  # the process is gone

        tasks = [asyncio.create_task(burst(writer, f"{n}")) for n, writer in enumerate(writers)]
        while sum(len(writer.acked) for writer in writers) < 15:
            await asyncio.sleep(0.01)
        app.kill()
        await asyncio.gather(*tasks)

        app.start()
        for writer, client in zip(writers, chairs, strict=True):
            with contextlib.suppress(Exception):
                await client.close()
            writer.client = await connected(app.url, world.organiser if client is not chair else world.moderator)
            await writer.client.join(room)
            await writer.retry()
        # Everyone comes back while the room is busy again: rejoins race with commits.
        tasks = [asyncio.create_task(burst(writer, f"again {n}")) for n, writer in enumerate(writers)]
        for follower, person in zip(followers, people, strict=True):
            await follower.reconnect(app.url, person)
        for _ in range(4):
            for follower in followers:
                await follower.catch_up()
        await asyncio.gather(*tasks)
        for follower in followers:
            await converged(follower, database)
        await assert_nothing_lost_or_doubled(database, room, writers)
    finally:
        for client in [*(writer.client for writer in writers), *followers]:
            with contextlib.suppress(Exception):
                await client.close()
        app.stop()

    assert all(not writer.unacked for writer in writers)
    assert sum(len(writer.acked) for writer in writers) >= 15 + 3 * 30


# PostgreSQL: crashed (kill -9 of the postmaster) and restarted under a busy room.


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["private_postgres"], indirect=True)
async def test_postgres_crash_and_restart_loses_nothing_acknowledged(
    world: World, database_url: str, database: Database, private_postgres: PrivatePostgres
) -> None:
    room = world.session.id or 0
    app = AppProcess(database_url)
    followers = [await Follower(room).follow(app.url, person) for person in (world.delegate, world.onsite)]
    writers: list[Writer] = []
    try:
        for person in (world.moderator, world.organiser):
            client = await connected(app.url, person)
            await client.join(room)
            writers.append(Writer(client, room, timeout=10))
        refused: list[dict[str, Any]] = []

        async def burst(writer: Writer, n: int) -> None:
            for turn in range(40):
                answer = await writer.ask(f"Busy {n}.{turn}")
                if answer is not None and not answer["ok"]:
                    refused.append(answer)
                    await asyncio.sleep(0.2)  # the database is away: the client waits and goes on

        tasks = [asyncio.create_task(burst(writer, n)) for n, writer in enumerate(writers)]
        while sum(len(writer.acked) for writer in writers) < 10:
            await asyncio.sleep(0.01)
        private_postgres.crash()
        await asyncio.sleep(1)
        private_postgres.start()
        await asyncio.gather(*tasks)
        for writer in writers:
            await writer.retry()
        for follower in followers:
            await follower.catch_up()  # what any client does on its next gap or reconnect
            await converged(follower, database)
        await assert_nothing_lost_or_doubled(database, room, writers)
    finally:
        for client in [*(writer.client for writer in writers), *followers]:
            with contextlib.suppress(Exception):
                await client.close()
        app.stop()

    codes = {answer["code"] for answer in refused}
    assert "server_error" in codes and codes <= {"server_error", "rate_limited"}  # refused, never half-done
    assert sum(len(writer.acked) for writer in writers) == 2 * 40


# The coalescer: a room's counts that could not be sent stay pending until they are.


async def test_counts_that_could_not_be_sent_go_out_at_the_next_flush(world: World, database: Database) -> None:
    room = world.session.id or 0
    chair = moderator_in(world.moderator, event=world.event, session=world.session)
    async with database.session() as db:
        asked = await ask_question(
            db, actor=chair, session_id=room, text="Counted?", anonymous=False, client_id=client_id()
        )
    question = asked.answer["question"]["id"]
    sent: list[dict[str, Any]] = []
    failures = [ConnectionError("the bus is away")]

    async def emit(event: str, data: dict[str, Any], to: str) -> None:
        if failures:
            raise failures.pop()
        sent.append(data)

    coalescer = Coalescer(database, Presence(), emit)
    coalescer.touch(CountsChanged(session_id=room, questions=frozenset({question})))
    with contextlib.suppress(ConnectionError):  # (the loop around flush() logs what escapes it)
        await coalescer.flush()  # the send fails
    await coalescer.flush()

    assert [counts["votes"] for counts in sent] == [{str(question): 0}, {str(question): 0}]  # moderators, audience


# The publish queue itself: bounded, oldest dropped, and a resync for everyone once Redis takes messages again.


async def test_publish_queue_drops_the_oldest_and_asks_for_a_resync_once_redis_is_back() -> None:
    import redis as sync_redis

    redis = PrivateRedis()
    manager = SharedPersonRooms(redis.url, channel="podium-fault-test", backlog=3)
    heard: list[dict[str, Any]] = []
    try:
        redis.kill()
        for n in range(5):
            await manager.emit("room_event", {"seq": n + 1}, namespace=NAMESPACE, room="somewhere")
        queued = [message["data"] for message in manager.backlog]

        redis.start()
        # Subscribed without yielding to the event loop: the queue cannot be sent before we listen.
        listener = sync_redis.Redis.from_url(redis.url)
        pubsub = listener.pubsub(ignore_subscribe_messages=True)
        pubsub.subscribe("podium-fault-test")
        deadline = time.monotonic() + 10
        while len(heard) < 4 and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
            while (message := pubsub.get_message()) is not None:
                heard.append(json.loads(message["data"]))
        pubsub.close()
        listener.close()
    finally:
        await manager.close()
        redis.stop()

    assert manager.dropped == 2
    assert queued == [[{"seq": 3}], [{"seq": 4}], [{"seq": 5}]]  # the newest kept
    assert [(m["event"], m["data"], m["room"]) for m in heard] == [
        ("room_event", [{"seq": 3}], "somewhere"),
        ("room_event", [{"seq": 4}], "somewhere"),
        ("room_event", [{"seq": 5}], "somewhere"),
        ("resync", [{}], None),  # to every client of every other process
    ]
