"""A payload nested thousands of levels deep is answered with an error acknowledgement (or a refused
handshake), and the server goes on answering everyone."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import socketio

from realtime.live.packets import MAX_DEPTH, BoundedJson, nesting
from tests.support.live_clients import NAMESPACE, LiveClient
from tests.support.servers import LiveRoomsServer
from tests.support.world import World

pytestmark = pytest.mark.integration

DEEP = "[" * 20_000 + "]" * 20_000


async def send_raw(client: LiveClient, event_and_payload: str) -> Any:
    """Emit a request written by hand (python-socketio's own encoder cannot write such a payload) and wait
    for its acknowledgement."""
    answered: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
    ack_id = client.sio._generate_ack_id(NAMESPACE, lambda *data: answered.set_result(data[0] if data else None))
    await client.sio.eio.send(f"2{NAMESPACE},{ack_id}{event_and_payload}")
    return await asyncio.wait_for(answered, timeout=15)


@pytest.mark.parametrize(
    "request_text",
    [
        f'["question.ask",{DEEP}]',
        '["question.ask",' + '{"":' * 10_000 + "1" + "}" * 10_000 + "]",  # within the 64 KiB frame limit
        f'["join",{{"session":1,"since_seq":{DEEP}}}]',
        f"[{DEEP}]",
    ],
    ids=["deep list", "deep object", "deep field", "no event name"],
)
async def test_a_deeply_nested_payload_gets_an_error_acknowledgement(world: World, clients, request_text: str) -> None:
    client, bystander = await clients(world.delegate), await clients(world.onsite)
    await client.join(world.session.id or 0)

    answer = await send_raw(client, request_text)
    still_joined = await client.join(world.session.id or 0)
    other = await bystander.join(world.session.id or 0)

    assert answer["ok"] is False
    assert answer["code"] in ("invalid", "unknown_event")
    assert answer["error"]
    assert still_joined["ok"] is True
    assert other["ok"] is True


async def test_a_deeply_nested_handshake_is_refused_as_invalid(world: World, live_rooms: LiveRoomsServer) -> None:
    client = socketio.AsyncClient(reconnection=False)
    refusals: list[Any] = []
    client.on("connect_error", lambda data: refusals.append(data), namespace=NAMESPACE)
    await client.eio.connect(live_rooms.url, transports=["websocket"], engineio_path="socket.io")
    try:
        await client.eio.send(f'0{NAMESPACE},{{"room_token":{DEEP}}}')
        for _ in range(150):
            if refusals:
                break
            await asyncio.sleep(0.1)
    finally:
        await client.eio.disconnect()

    assert refusals and refusals[0]["data"] == {"code": "invalid"}


def test_nesting_ignores_brackets_inside_text() -> None:
    text = '{"text":"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[","ids":[1,2]}'

    assert nesting(text) == 2
    assert BoundedJson.loads(text)["ids"] == [1, 2]
    assert BoundedJson.loads(text.encode())["ids"] == [1, 2]  # as the Redis manager passes its messages
    assert nesting("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1)) == MAX_DEPTH + 1
