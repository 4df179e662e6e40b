"""Flood limits hold per person, however many connections they open: an account, a guest key, and the
guests of one address. Without Redis, and while Redis does not answer, each process limits on its own."""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from typing import Any

import pytest
import socketio
from sqlmodel import func, select

from realtime.live import connection_caps, limits
from realtime.live.connection_caps import Cap, ConnectionCaps
from realtime.live.limits import Owner, PersonLimits, Refusals
from server.db import Database
from server.live.access import room_token
from server.live.models import ChatMessage, Question
from server.rate_limits import BoundedRedis
from server.settings import Settings
from tests.support import factories
from tests.support.live_clients import LiveClient, client_id
from tests.support.ports import free_port, port_open
from tests.support.private_services import private_redis
from tests.support.requirements import require
from tests.support.servers import LiveRoomsServer
from tests.support.world import World

pytestmark = pytest.mark.integration


async def _count(database: Database, table: Any) -> int:
    async with database.session() as db:
        return int((await db.exec(select(func.count()).select_from(table))).one())


async def _ask(client: LiveClient, room: int, text: str) -> bool:
    answer = await client.call("question.ask", {"session": room, "text": text, "client_id": client_id()})
    return bool(answer["ok"])


async def _chat(client: LiveClient, room: int, text: str) -> bool:
    answer = await client.call("chat.send", {"session": room, "text": text, "client_id": client_id()})
    return bool(answer["ok"])


async def test_sockets_of_one_account_share_its_limits(world: World, clients, database: Database) -> None:
    room = world.session.id
    tabs = [await clients(world.delegate) for _ in range(6)]
    for tab in tabs:
        assert (await tab.join(room))["ok"] is True

    started = time.monotonic()
    asked = await asyncio.gather(*(_ask(tab, room, f"Tab {n} asks") for n, tab in enumerate(tabs * 2)))
    chatted = await asyncio.gather(*(_chat(tab, room, f"Tab {n} chats") for n, tab in enumerate(tabs * 3)))
    elapsed = time.monotonic() - started
    neighbour = await clients(world.onsite)
    await neighbour.join(room)

    # 5 questions a minute and 10 chat messages per 30 s for the person, plus what refilled meanwhile;
    # per connection, each of the 6 tabs could have asked 2 and chatted 3.
    assert 5 <= sum(asked) <= 5 + elapsed / 12 < 12
    assert 10 <= sum(chatted) <= 10 + elapsed / 3 < 18
    assert await _count(database, Question) == sum(asked)
    assert await _count(database, ChatMessage) == sum(chatted)
    assert await _ask(neighbour, room, "Someone else") is True


async def _refusal(live_rooms: LiveRoomsServer, **connect: Any) -> dict[str, Any]:
    refused = LiveClient()
    errors: list[Any] = []
    refused.sio.on("connect_error", lambda data: errors.append(data), namespace="/live")
    with pytest.raises(socketio.exceptions.ConnectionError):
        await refused.connect(live_rooms.url, **connect)
    await refused.sio.shutdown()
    assert len(errors) == 1
    error: dict[str, Any] = errors[0]
    return error


async def test_connections_per_account_are_capped(world: World, clients, live_rooms: LiveRoomsServer) -> None:
    opened = [await clients(world.delegate) for _ in range(limits.CONNECTIONS_PER_PERSON)]

    refused = await _refusal(live_rooms, cookie=world.delegate.token)
    other_person = await clients(world.onsite)
    await opened.pop().close()
    again = await clients(world.delegate)  # a closed connection frees its place

    assert refused["data"] == {"code": "too_many_connections"}
    assert refused["message"] == "Too many open connections. Please close another tab or window."
    assert other_person.sio.connected and again.sio.connected


async def _open_guest_room(world: World, database: Database, settings: Settings) -> str:
    async with database.session() as db:
        await factories.set_live_settings(db, world.event, anonymous_guests=True)
    return room_token(settings.secret_key, event_id=world.event.id or 0, session_id=world.session.id or 0)


async def test_connections_of_one_guest_key_share_its_limits(
    world: World, clients, database: Database, settings: Settings
) -> None:
    room = world.session.id
    token = await _open_guest_room(world, database, settings)
    first = await clients(auth={"room_token": token})
    guest_key = (await first.join(room))["me"]["guest_key"]
    tabs = [first] + [await clients(auth={"room_token": token, "guest_key": guest_key}) for _ in range(3)]
    for tab in tabs[1:]:
        await tab.join(room)

    started = time.monotonic()
    asked = await asyncio.gather(*(_ask(tab, room, f"Guest tab {n}") for n, tab in enumerate(tabs * 2)))
    elapsed = time.monotonic() - started

    assert 5 <= sum(asked) <= 5 + elapsed / 12 < 8
    assert await _count(database, Question) == sum(asked)


async def test_guests_of_one_address_share_its_limits(
    world: World, clients, live_rooms: LiveRoomsServer, database: Database, settings: Settings, monkeypatch
) -> None:
    # A hall's worth of guests is hundreds (PODIUM_LIVE_GUESTS_PER_ADDRESS); four guests, who share one
    # person's limits, show the same rule.
    monkeypatch.setattr(live_rooms.live.limits, "guests_per_address", 4)
    room = world.session.id
    token = await _open_guest_room(world, database, settings)
    guests = [await clients(auth={"room_token": token}) for _ in range(4)]  # four new guest keys
    for guest in guests:
        await guest.join(room)

    refused = await _refusal(live_rooms, auth={"room_token": token})
    signed_in = await clients(world.delegate)  # accounts are not counted by address
    started = time.monotonic()
    asked = await asyncio.gather(*(_ask(guest, room, f"Guest {n}") for n, guest in enumerate(guests * 4)))
    elapsed = time.monotonic() - started

    assert refused["data"] == {"code": "too_many_connections"}
    assert signed_in.sio.connected
    # Each guest key alone would allow 4 each (16); the address allows one person's 5.
    assert 5 <= sum(asked) <= 5 + elapsed / 12 < 16
    assert await _count(database, Question) == sum(asked)


async def _timed_answers(person_limits: PersonLimits, owner: Owner, count: int) -> tuple[list[bool], float]:
    """``count`` questions' limit checks and the longest any of them took."""
    answers, slowest = [], 0.0
    for _ in range(count):
        started = time.monotonic()
        answers.append(await person_limits.allow(owner, "ask", Refusals()))
        slowest = max(slowest, time.monotonic() - started)
    return answers, slowest


async def test_limits_fall_back_to_the_process_at_once_when_redis_freezes_or_dies() -> None:
    with private_redis() as redis:
        shared = PersonLimits(redis.url, prefix="test")
        other_process = PersonLimits(redis.url, prefix="test")
        try:
            through_redis, _ = await _timed_answers(shared, Owner(person="a1"), 3)
            elsewhere, _ = await _timed_answers(other_process, Owner(person="a1"), 3)
            redis.freeze()
            frozen, slowest_frozen = await _timed_answers(shared, Owner(person="a2"), 7)
            redis.thaw()
            deadline = time.monotonic() + 10
            while not (shared.redis and shared.redis.answering) and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            back, _ = await _timed_answers(shared, Owner(person="a3"), 3)
            back_elsewhere, _ = await _timed_answers(other_process, Owner(person="a3"), 3)
            redis.kill()
            dead, slowest_dead = await _timed_answers(shared, Owner(person="a4"), 7)
        finally:
            await shared.close()
            await other_process.close()

    assert through_redis + elsewhere == [True] * 5 + [False]  # one person's 5, over two processes
    assert frozen == dead == [True] * 5 + [False] * 2  # this process's own limits
    assert back + back_elsewhere == [True] * 5 + [False]  # shared again once Redis answers
    # No check waits longer than one Redis timeout (0.2 s), with room for a slow machine.
    assert slowest_frozen < 1.0 and slowest_dead < 1.0


async def _claim_within(caps: ConnectionCaps, sid: str, cap: list[Cap], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not await caps.claim(sid, cap):
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.1)
    return True


async def test_connections_of_a_dead_process_stop_counting_and_live_ones_keep_counting(monkeypatch) -> None:
    require("Redis", port_open("127.0.0.1", 6379))
    monkeypatch.setattr(connection_caps, "TTL", 1.0)  # 30 s in production
    monkeypatch.setattr(connection_caps, "RENEW_EVERY", 0.2)
    prefix = f"test-{uuid.uuid4().hex}"
    url = os.environ.get("PODIUM_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    redis_of = [BoundedRedis(url, timeout=1.0) for _ in range(2)]
    doomed, survivor = (ConnectionCaps(redis, prefix=prefix) for redis in redis_of)
    cap = [Cap("a1", 3)]
    try:
        held = [await doomed.claim(f"d{n}", cap) for n in range(2)] + [await survivor.claim("s0", cap)]
        full = await survivor.claim("s1", cap)
        still_full = await _claim_within(survivor, "s1", cap, 2.5)  # well past the TTL: renewed
        await doomed.stop()  # dies without releasing
        freed = await _claim_within(survivor, "s1", cap, 10.0)
    finally:
        await survivor.stop()
        for redis in redis_of:
            await redis.close()

    assert held == [True, True, True]
    assert (full, still_full) == (False, False)
    assert freed is True


async def test_connections_count_per_process_while_redis_is_unreachable() -> None:
    unreachable = BoundedRedis(f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there
    caps = ConnectionCaps(unreachable, prefix="test")
    cap = [Cap("a1", 2)]
    try:
        started = time.monotonic()
        claims = [await caps.claim(f"s{n}", cap) for n in range(3)]
        elapsed = time.monotonic() - started
        await caps.release("s0")
        after_release = await caps.claim("s3", cap)
    finally:
        await caps.stop()
        await unreachable.close()

    assert claims == [True, True, False]
    assert after_release is True
    assert elapsed < 1.0
