"""Text no database can store (a lone surrogate: valid JSON, not UTF-8) in a live-room request is cleaned like
control characters, on SQLite and PostgreSQL alike: never a server error."""

from __future__ import annotations

import pytest

from tests.support.live_clients import client_id
from tests.support.world import World

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
async def test_a_lone_surrogate_in_a_question_or_chat_message_is_dropped(world: World, clients) -> None:
    client = await clients(world.delegate)
    room = world.session.id or 0
    await client.join(room)

    asked = await client.call(
        "question.ask", {"session": room, "text": "Why\ud800 not?\x00", "anonymous": False, "client_id": client_id()}
    )
    chatted = await client.call("chat.send", {"session": room, "text": "Hello\udfff there", "client_id": client_id()})

    assert asked["ok"] is True and asked["question"]["text"] == "Why not?"
    assert chatted["ok"] is True and chatted["message"]["text"] == "Hello there"
