"""Events a client names after the server's own handlers (`connect`, `disconnect`, `*`) are requests like
any unknown one: answered `unknown_event`, changing nothing. A handshake from a foreign Origin is refused
with a code the client can read."""

from __future__ import annotations

import json
from typing import Any

import pytest
import socketio
import websockets
from sqlmodel import func, select

from server.db import Database
from server.live.models import Question
from server.settings import Settings
from tests.support.live_clients import LiveClient, client_id
from tests.support.servers import LiveRoomsServer
from tests.support.world import World

pytestmark = pytest.mark.integration


async def _questions(database: Database) -> int:
    async with database.session() as db:
        return int((await db.exec(select(func.count()).select_from(Question))).one())


async def test_reserved_event_names_answer_unknown_event(world: World, clients, database: Database) -> None:
    room = world.session.id
    asker, watcher = await clients(world.delegate), await clients(world.onsite)
    await asker.join(room)
    await watcher.join(room)
    asked = [
        await asker.call("question.ask", {"session": room, "text": f"Question {n}", "client_id": client_id()})
        for n in range(5)
    ]
    handshake = {"HTTP_COOKIE": f"podium_session={world.delegate.token}"}

    answers = {
        "disconnect": await asker.call("disconnect", {"session": room}),
        "connect": await asker.call("connect", handshake, None),
        "*": await asker.call("*", {"session": room}),
    }
    sixth = await asker.call("question.ask", {"session": room, "text": "Sixth", "client_id": client_id()})
    await watcher.call("question.ask", {"session": room, "text": "Still heard?", "client_id": client_id()})
    heard = await asker.wait_for(
        "room_event", lambda e: e["kind"] == "question" and e["data"]["text"] == "Still heard?"
    )

    assert [answer["ok"] for answer in asked] == [True] * 5
    assert {name: (answer["ok"], answer["code"]) for name, answer in answers.items()} == {
        name: (False, "unknown_event") for name in answers
    }
    # Still connected and still limited: `connect` did not run the handshake again, `disconnect` did
    # not take the connection out of its rooms.
    assert (sixth["ok"], sixth["code"]) == (False, "rate_limited")
    assert heard["session"] == room
    assert await _questions(database) == 6


async def _raw_socket(live_rooms: LiveRoomsServer, cookie: str) -> Any:
    """A WebSocket that speaks Engine.IO and Socket.IO packets by hand, connected to ``/live``."""
    url = live_rooms.url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
    socket = await websockets.connect(url, additional_headers={"Cookie": f"podium_session={cookie}"})
    assert str(await socket.recv()).startswith("0{")  # Engine.IO open
    await socket.send("40/live,")
    assert str(await socket.recv()).startswith("40/live,{")  # Socket.IO connected
    return socket


async def _ack(socket: Any, ack_id: int) -> Any:
    prefix = f"43/live,{ack_id}"
    while True:
        packet = str(await socket.recv())
        if packet == "2":  # Engine.IO ping
            await socket.send("3")
        elif packet.startswith(prefix):
            return json.loads(packet[len(prefix) :])[0]


async def test_raw_packets_naming_no_request_answer_unknown_event(
    world: World, live_rooms: LiveRoomsServer, database: Database
) -> None:
    room = world.session.id
    socket = await _raw_socket(live_rooms, world.delegate.token)
    try:
        await socket.send(f'42/live,1["join",{{"session":{room}}}]')
        joined = await _ack(socket, 1)
        packets = {
            2: '42/live,2["disconnect"]',
            3: '42/live,3["connect",{},null]',
            4: '42/live,4["*",{}]',
            5: '42/live,5{"session":1}',  # no event name at all
            6: "42/live,6[7]",  # a name that is not text
            7: "42/live,7[]",
        }
        for packet in packets.values():
            await socket.send(packet)
        answers = {ack_id: await _ack(socket, ack_id) for ack_id in packets}
        await socket.send(f'42/live,8["question.ask",{{"session":{room},"text":"Alive","client_id":"{client_id()}"}}]')
        asked = await _ack(socket, 8)
    finally:
        await socket.close()

    assert joined["ok"] is True
    assert {ack_id: answer["code"] for ack_id, answer in answers.items()} == dict.fromkeys(packets, "unknown_event")
    assert asked["ok"] is True
    assert await _questions(database) == 1


async def test_foreign_origin_gets_a_connect_error_with_its_code(world: World, live_rooms: LiveRoomsServer) -> None:
    refused = LiveClient()
    errors: list[Any] = []
    refused.sio.on("connect_error", lambda data: errors.append(data), namespace="/live")

    with pytest.raises(socketio.exceptions.ConnectionError):
        await refused.connect(live_rooms.url, cookie=world.delegate.token, headers={"Origin": "https://evil.example"})
    await refused.sio.shutdown()

    assert len(errors) == 1
    assert errors[0]["data"] == {"code": "forbidden_origin"}
    assert errors[0]["message"] == "Live rooms accept connections from this site's own pages only."


async def test_own_origin_connects(world: World, live_rooms: LiveRoomsServer, settings: Settings) -> None:
    client = await LiveClient().connect(
        live_rooms.url, cookie=world.delegate.token, headers={"Origin": settings.base_url}
    )
    try:
        joined = await client.join(world.session.id)
    finally:
        await client.close()

    assert joined["ok"] is True
