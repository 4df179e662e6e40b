"""Bad input answers with an error acknowledgement: no crash, nothing written. Flood limits refuse the
flooder, not the people next to them (per person: test_person_limits.py). User text travels as text, never
as rendered HTML."""

from __future__ import annotations

import asyncio
import time

import pytest
from sqlmodel import func, select

from server.db import Database
from server.live.models import ChatMessage, Question, RoomLog
from tests.support import factories
from tests.support.live_clients import LiveClient, client_id
from tests.support.servers import LiveRoomsServer
from tests.support.world import World

pytestmark = pytest.mark.integration


async def _rows(database: Database) -> tuple[int, int, int]:
    async with database.session() as db:
        return (
            (await db.exec(select(func.count()).select_from(RoomLog))).one(),
            (await db.exec(select(func.count()).select_from(Question))).one(),
            (await db.exec(select(func.count()).select_from(ChatMessage))).one(),
        )


async def test_bad_requests_answer_errors_and_change_nothing(world: World, clients, database: Database) -> None:
    room = world.session.id
    client = await clients(world.delegate)
    await client.join(room)
    before = await _rows(database)
    ask = {"session": room, "text": "Fine", "client_id": client_id()}
    cases = {
        "unknown event": ("question.delete_everything", {"session": room}, "unknown_event"),
        "payload not an object": ("question.ask", "just text", "invalid"),
        "payload a list": ("question.ask", [1, 2], "invalid"),
        "no payload": ("question.ask", None, "invalid"),
        "missing field": ("question.ask", {"session": room, "text": "Hi"}, "invalid"),
        "unknown field": ("question.ask", {**ask, "status": "approved"}, "invalid"),
        "session as text": ("question.ask", {**ask, "session": str(room)}, "invalid"),
        "session as bool": ("question.ask", {**ask, "session": True}, "invalid"),
        "text as number": ("question.ask", {**ask, "text": 42}, "invalid"),
        "anonymous as text": ("question.ask", {**ask, "anonymous": "yes"}, "invalid"),
        "empty text": ("question.ask", {**ask, "text": "   "}, "invalid"),
        "text too long": ("question.ask", {**ask, "text": "x" * 501}, "invalid"),
        "bad client id": ("question.ask", {**ask, "client_id": "short"}, "invalid"),
        "huge number": ("question.vote", {"session": room, "question": 10**30, "vote": True}, "invalid"),
        "oversized payload": ("question.ask", {**ask, "text": "x" * 9000}, "too_large"),
        "room not joined": ("question.ask", {**ask, "session": world.second.id}, "not_joined"),
        "unknown room": ("question.ask", {**ask, "session": 999_999}, "not_joined"),
        "unknown question": ("question.vote", {"session": room, "question": 999_999, "vote": True}, "not_found"),
        "unknown poll": ("poll.vote", {"session": room, "poll": 999_999, "options": [1]}, "not_found"),
        "options not ints": ("poll.vote", {"session": room, "poll": 1, "options": ["1"]}, "invalid"),
        "join with text seq": ("join", {"session": room, "since_seq": "3"}, "invalid"),
    }

    outcomes = {}
    for name, (event, payload, _code) in cases.items():
        answer = await client.call(event, payload)
        assert answer["ok"] is False and isinstance(answer["error"], str) and answer["error"], name
        outcomes[name] = answer["code"]
    two_arguments = await client.call("question.ask", ask, "second argument")

    assert outcomes == {name: code for name, (_event, _payload, code) in cases.items()}
    assert two_arguments["code"] == "invalid"
    assert await _rows(database) == before
    assert (await client.call("question.ask", ask))["ok"] is True  # the connection still works


async def test_oversized_frame_closes_only_that_connection(world: World, clients, database: Database) -> None:
    room = world.session.id
    flooder, bystander = await clients(world.delegate), await clients(world.onsite)
    await flooder.join(room)
    await bystander.join(room)
    before = await _rows(database)

    with pytest.raises(Exception):  # noqa: B017 (the server closes the socket: a timeout or a disconnect)
        await flooder.sio.call(
            "question.ask",
            {"session": room, "text": "x" * 100_000, "client_id": client_id()},
            namespace="/live",
            timeout=3,
        )

    assert await _rows(database) == before
    answer = await bystander.call("question.ask", {"session": room, "text": "Still here", "client_id": client_id()})
    assert answer["ok"] is True


async def test_flood_limits_refuse_the_flooder_only(world: World, clients, database: Database) -> None:
    room = world.session.id
    flooder, neighbour = await clients(world.delegate), await clients(world.onsite)
    await flooder.join(room)
    await neighbour.join(room)

    asked = [
        await flooder.call("question.ask", {"session": room, "text": f"Spam {n}", "client_id": client_id()})
        for n in range(8)
    ]
    started = time.monotonic()
    burst = await asyncio.gather(*(flooder.call("chat.history", {"session": room, "before": 1}) for _ in range(80)))
    elapsed = time.monotonic() - started
    neighbour_answer = await neighbour.call("question.ask", {"session": room, "text": "Mine", "client_id": client_id()})

    assert [a["ok"] for a in asked] == [True] * 5 + [False] * 3
    assert {a["code"] for a in asked[5:]} == {"rate_limited"}
    codes = [a.get("code") for a in burst]
    # A burst of 40, refilled at 20 a second while the burst lasts.
    assert 0 < codes.count("rate_limited") == 80 - codes.count(None)
    assert codes.count(None) <= 40 + 20 * elapsed
    assert neighbour_answer["ok"] is True
    async with database.session() as db:
        assert (await db.exec(select(func.count()).select_from(Question))).one() == 6


async def test_flooding_connection_is_disconnected(world: World, clients) -> None:
    client = await clients(world.delegate)
    await client.join(world.session.id)

    for _ in range(300):
        await client.sio.emit("chat.history", {"session": world.session.id, "before": 1}, namespace="/live")
    for _ in range(100):
        if not client.sio.connected:
            break
        await asyncio.sleep(0.05)

    assert client.sio.connected is False


async def test_script_injection_stays_text(world: World, clients, database: Database) -> None:
    payload = '<script>alert("x")</script><img src=x onerror=alert(1)>&amp;'
    async with database.session() as db:
        named = await factories.person(db, world.event, payload, attendance=factories.ONLINE)
    room = world.session.id
    chair, attacker, reader = await clients(world.moderator), await clients(named), await clients(world.delegate)
    for client in (chair, attacker, reader):
        await client.join(room)

    asked = await attacker.call("question.ask", {"session": room, "text": payload, "client_id": client_id()})
    said = await attacker.call("chat.send", {"session": room, "text": payload, "client_id": client_id()})
    labelled = await chair.call(
        "question.label", {"session": room, "question": asked["question"]["id"], "label": "<b>x</b>"}
    )
    question = await reader.wait_for(
        "room_event", lambda e: e["kind"] == "question" and e["data"]["label"] == "<b>x</b>"
    )
    message = await reader.wait_for("room_event", lambda e: e["kind"] == "chat")
    snapshot = await (await clients(world.onsite)).join(room)

    assert asked["question"]["text"] == payload and said["message"]["text"] == payload
    assert question["data"]["text"] == payload and question["data"]["author"]["name"] == payload
    assert message["data"]["text"] == payload and message["data"]["author"]["name"] == payload
    assert labelled["question"]["label"] == "<b>x</b>"
    assert snapshot["questions"][0]["text"] == payload and snapshot["chat"][0]["text"] == payload
    assert "&lt;" not in str(snapshot)  # neither escaped nor rendered: the pages insert it as text


async def test_refused_handshake_data_is_machine_readable(live_rooms: LiveRoomsServer) -> None:
    client = LiveClient()
    errors = []
    client.sio.on("connect_error", lambda data: errors.append(data), namespace="/live")
    with pytest.raises(Exception):  # noqa: B017
        await client.connect(live_rooms.url, auth={"unexpected": 1})
    await client.sio.shutdown()

    assert errors and errors[0]["data"] == {"code": "invalid"}
