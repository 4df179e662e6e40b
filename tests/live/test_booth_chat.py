"""Booths over Socket.IO (PROTOCOL.md, "Interpretation booths"): a booth's chat reaches its partner and the session's
moderators and no other booth; refusals for people and payloads that have no business there; a flood limit per
person; and on-air changes made over HTTP reach every console and the moderator."""

from __future__ import annotations

import httpx
import pytest
from sqlmodel import select

from server.db import Database
from server.interpretation.models import BoothMessage
from server.organising.staff import remove_staff
from server.registration.roles import actor_in
from tests.support.booths import Booths, build_booths
from tests.support.live_clients import client_id
from tests.support.servers import LiveRoomsServer
from tests.support.world import World

pytestmark = [pytest.mark.integration, pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)]


@pytest.fixture
async def booths(world: World, database: Database) -> Booths:
    return await build_booths(world, database)


async def test_booth_chat_reaches_the_partner_and_moderators_only(booths: Booths, clients, database: Database) -> None:
    room = booths.world.session.id
    one, two, other_booth, chair = (
        await clients(booths.ja_one),
        await clients(booths.ja_two),
        await clients(booths.zh),
        await clients(booths.world.moderator),
    )
    joined = [
        await one.call("booth.join", {"session": room, "language": "ja"}),
        await two.call("booth.join", {"session": room, "language": "ja"}),
        await other_booth.call("booth.join", {"session": room, "language": "zh"}),
        await chair.call("booth.join", {"session": room}),
    ]
    sent = await one.call(
        "booth.chat", {"session": room, "language": "ja", "text": "<b>slow</b>\x00 down", "client_id": client_id()}
    )
    heard = await two.wait_for("booth.chat")
    moderated = await chair.wait_for("booth.chat")
    answer = await chair.call(
        "booth.chat", {"session": room, "language": "zh", "text": "Next speaker in English", "client_id": client_id()}
    )
    zh_heard = await other_booth.wait_for("booth.chat")
    rejoined = await two.call("booth.join", {"session": room, "language": "ja"})

    assert [answer["ok"] for answer in joined] == [True] * 4
    assert [booth["language"] for booth in joined[3]["booths"]] == ["ja", "zh"]
    assert sent["ok"] is True
    assert heard["text"] == moderated["text"] == "<b>slow</b> down"  # text, not markup; NUL dropped
    assert heard["author"]["name"] == "Aiko Booth"
    assert answer["ok"] is True
    assert zh_heard["text"] == "Next speaker in English"
    assert [m["text"] for m in other_booth.received["booth.chat"]] == ["Next speaker in English"]
    assert [m["text"] for m in rejoined["messages"]] == ["<b>slow</b> down"]


@pytest.mark.parametrize(
    ("who", "payload", "code"),
    [
        ("zh", {"language": "ja"}, "forbidden"),  # another language's booth
        ("stranger", {"language": "ja"}, "not_found"),  # another event's interpreter sees no such session
        ("delegate", {}, "forbidden"),  # only moderators watch every booth
        ("ja_one", {"language": "ko"}, "invalid"),  # no channel in that language
        ("ja_one", {"language": 5}, "invalid"),
        ("ja_one", {"language": "ja", "extra": 1}, "invalid"),
        ("ja_one", {"language": "ja\x00"}, "invalid"),
    ],
)
async def test_booth_join_refusals(booths: Booths, clients, who: str, payload: dict, code: str) -> None:
    people = {
        "zh": booths.zh,
        "stranger": booths.stranger,
        "delegate": booths.world.delegate,
        "ja_one": booths.ja_one,
    }
    client = await clients(people[who])

    answer = await client.call("booth.join", {"session": booths.world.session.id, **payload})

    assert (answer["ok"], answer["code"]) == (False, code)


async def test_booth_chat_bad_payloads_change_nothing(booths: Booths, clients, database: Database) -> None:
    room = booths.world.session.id
    client = await clients(booths.ja_one)
    await client.call("booth.join", {"session": room, "language": "ja"})
    base = {"session": room, "language": "ja", "client_id": client_id()}

    answers = [
        await client.call("booth.chat", {**base, "text": "\x00\x00"}),
        await client.call("booth.chat", {**base, "text": "x" * 501}),
        await client.call("booth.chat", {**base, "text": ["list"]}),
        await client.call("booth.chat", {**base, "text": "hi", "client_id": "<script>"}),
        await client.call("booth.chat", {**base, "text": "hi", "language": "zh"}),
        await client.call("booth.chat", {**base, "text": "hi", "session": 2**60}),
        await client.call("booth.chat", "not an object"),
    ]
    async with database.session() as db:
        stored = (await db.exec(select(BoothMessage))).all()

    assert [answer["code"] for answer in answers] == [
        "invalid",
        "invalid",
        "invalid",
        "invalid",
        "forbidden",
        "invalid",
        "invalid",
    ]
    assert stored == []


async def test_booth_chat_flood_is_limited_per_person(booths: Booths, clients, database: Database) -> None:
    room = booths.world.session.id
    first_tab, second_tab = await clients(booths.ja_one), await clients(booths.ja_one)
    for tab in (first_tab, second_tab):
        await tab.call("booth.join", {"session": room, "language": "ja"})

    answers = [
        await (first_tab if n % 2 else second_tab).call(
            "booth.chat", {"session": room, "language": "ja", "text": f"line {n}", "client_id": client_id()}
        )
        for n in range(14)
    ]
    partner = await clients(booths.ja_two)
    await partner.call("booth.join", {"session": room, "language": "ja"})
    partner_answer = await partner.call(
        "booth.chat", {"session": room, "language": "ja", "text": "still here", "client_id": client_id()}
    )

    assert [answer["ok"] for answer in answers] == [True] * 10 + [False] * 4
    assert {answer["code"] for answer in answers[10:]} == {"rate_limited"}
    assert partner_answer["ok"] is True  # one person's flood does not silence the booth


async def test_on_air_over_http_reaches_every_console_and_the_moderator(
    booths: Booths, clients, live_rooms: LiveRoomsServer
) -> None:
    world = booths.world
    room = world.session.id
    one, two, chair = await clients(booths.ja_one), await clients(booths.ja_two), await clients(world.moderator)
    await one.call("booth.join", {"session": room, "language": "ja"})
    await two.call("booth.join", {"session": room, "language": "ja"})
    await chair.call("booth.join", {"session": room})
    async with httpx.AsyncClient(base_url=live_rooms.url) as http:
        http.cookies.set("podium_session", booths.ja_one.token)
        await http.get("/signin")
        token = http.cookies["podium_csrf"]
        on = await http.post(world.path("interpret/ja/air"), data={"csrf_token": token, "action": "on"})
        http.cookies.set("podium_session", world.moderator.token)
        floor = await http.post(world.path("booths/floor"), data={"csrf_token": token, "language": "en"})

    states = [await client.wait_for("booth.state") for client in (one, two, chair)]
    floors = [await client.wait_for("booth.floor") for client in (one, two, chair)]

    assert (on.status_code, floor.status_code) == (200, 303)
    assert [state["on_air"]["id"] for state in states] == [booths.ja_one.account.id] * 3
    assert [f["language"] for f in floors] == ["en"] * 3


async def test_interpreter_removed_leaves_the_booth_and_hears_no_more(
    booths: Booths, clients, database: Database
) -> None:
    world = booths.world
    room = world.session.id
    removed, partner = await clients(booths.ja_one), await clients(booths.ja_two)
    for client in (removed, partner):
        await client.call("booth.join", {"session": room, "language": "ja"})
    async with database.session() as db:
        organiser = await actor_in(db, account=world.organiser.account, event=world.event)
        await remove_staff(
            db, actor=organiser, event=world.event, account_id=booths.ja_one.account.id or 0, role="interpreter"
        )

    notice = await removed.wait_for("revoked")
    await partner.call("booth.chat", {"session": room, "language": "ja", "text": "after", "client_id": client_id()})
    await partner.wait_for("booth.chat", lambda m: m["text"] == "after")
    refused = await removed.call(
        "booth.chat", {"session": room, "language": "ja", "text": "still?", "client_id": client_id()}
    )

    assert (notice["session"], notice["reason"], notice["left"]) == (room, "role", True)
    assert removed.received["booth.chat"] == []
    assert (refused["ok"], refused["code"]) == (False, "not_found")  # no role left in the event
