"""Live captions through real clients on a real server: a captioner's lines reach the viewers of their language with
their own seq, kept as text; refusals (NUL, empty, too long, a language the event does not offer, another language's
or another event's captioner, a revoked one, a flood) say why and leave the rest of the room alone; the session's
WebVTT file has every line."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import httpx
import pytest
from sqlmodel import delete

from server.accounts.models import Role, RoleLanguage
from server.db import Database
from server.events.models import Event
from server.registration.removal import remove_from_event
from server.registration.roles import actor_in
from tests.support import factories
from tests.support.factories import Person
from tests.support.html import page
from tests.support.live_clients import LiveClient, client_id, lost_within
from tests.support.servers import LiveRoomsServer
from tests.support.world import World

pytestmark = pytest.mark.integration
BOTH_BACKENDS = pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)


@dataclass
class Captioners:
    japanese: Person  # captions Japanese in the world's event
    english: Person  # captions English there
    elsewhere: Person  # captions Japanese in the other event


@pytest.fixture
async def captioners(world: World, database: Database) -> Captioners:
    """The world's event offers English, Chinese and Japanese, and so does the other event."""
    async with database.session() as db:
        for event_id in (world.event.id, world.other_event.id):
            event = await db.get_one(Event, event_id)
            event.languages = "en,zh,ja"
            db.add(event)
        await db.commit()
        event = await db.get_one(Event, world.event.id)
        other = await db.get_one(Event, world.other_event.id)
        person = factories.person
        return Captioners(
            japanese=await person(db, event, "Kana Captioner", role=Role.captioner, languages=("ja",)),
            english=await person(db, event, "Eve Captioner", role=Role.captioner, languages=("en",)),
            elsewhere=await person(db, other, "Other Captioner", role=Role.captioner, languages=("ja",)),
        )


def line(room: int, text: str, language: str = "ja", client: str | None = None) -> dict[str, object]:
    return {"session": room, "language": language, "text": text, "client_id": client or client_id()}


async def fetched(live_rooms: LiveRoomsServer, person: Person | None, path: str) -> httpx.Response:
    cookies = {"podium_session": person.token} if person else {}
    async with httpx.AsyncClient(base_url=live_rooms.url, cookies=cookies) as http:
        return await http.get(path)


@BOTH_BACKENDS
async def test_lines_reach_the_viewers_of_their_language_as_text_and_the_webvtt_file(
    world: World, captioners: Captioners, clients, live_rooms: LiveRoomsServer
) -> None:
    room = world.session.id
    captioner: LiveClient = await clients(captioners.japanese)
    japanese, english = await clients(world.delegate), await clients(world.onsite)
    for client in (captioner, japanese, english):
        assert (await client.join(room))["ok"]
    followed = await japanese.call("caption.follow", {"session": room, "language": "ja"})
    await english.call("caption.follow", {"session": room, "language": "en"})

    first = line(room, "こんにちは、皆さん。")
    answers = [
        await captioner.call("caption.send", first),
        await captioner.call("caption.send", line(room, 'A <b>bold</b> & "quoted" --> claim\nover two lines')),
        await captioner.call("caption.send", line(room, "<script>alert(1)</script>")),
    ]
    again = await captioner.call("caption.send", first)  # a retry after a lost answer
    seen = await japanese.wait_for("caption", lambda data: data["seq"] == 3)
    newcomer = await clients(world.delegate)
    await newcomer.join(room)
    caught_up = await newcomer.call("caption.follow", {"session": room, "language": "ja"})
    late = await clients(world.onsite)
    await late.join(room)
    reconnected = await late.call("caption.follow", {"session": room, "language": "ja", "since": 1})
    await asyncio.sleep(0.3)  # what the English viewer would have been sent by now
    replay = await fetched(live_rooms, world.delegate, world.path("captions/ja.vtt"))

    assert followed == {"ok": True, "language": "ja", "lines": [], "seq": 0}
    assert [answer["line"]["seq"] for answer in answers] == [1, 2, 3]
    assert (again["duplicate"], again["line"]["seq"]) == (True, 1)
    assert [data["text"] for data in japanese.received["caption"]] == [
        "こんにちは、皆さん。",
        'A <b>bold</b> & "quoted" --> claim over two lines',
        "<script>alert(1)</script>",
    ]
    assert (seen["session"], seen["language"]) == (room, "ja")
    assert english.received["caption"] == []
    assert english.room_events(room) == []  # captions are no room events: the room's log and seq are untouched
    assert [data["seq"] for data in caught_up["lines"]] == [1, 2, 3]
    assert [data["seq"] for data in reconnected["lines"]] == [2, 3]
    assert replay.status_code == 200
    assert replay.headers["content-type"] == "text/vtt; charset=utf-8"
    assert 'A &lt;b&gt;bold&lt;/b&gt; &amp; "quoted" --&gt; claim over two lines' in replay.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in replay.text


async def test_refusals_say_why(world: World, captioners: Captioners, clients) -> None:
    room = world.session.id
    japanese, english, delegate = (
        await clients(captioners.japanese),
        await clients(captioners.english),
        await clients(world.delegate),
    )
    elsewhere = await clients(captioners.elsewhere)
    for client in (japanese, english, delegate):
        assert (await client.join(room))["ok"]

    nul = await japanese.call("caption.send", line(room, "before\x00after"))
    empty = await japanese.call("caption.send", line(room, "  \n "))
    long = await japanese.call("caption.send", line(room, "あ" * 301))
    french = await japanese.call("caption.send", line(room, "Bonjour", language="fr"))
    other_language = await english.call("caption.send", line(room, "こんにちは"))
    viewer = await delegate.call("caption.send", line(room, "I am no captioner"))
    not_offered = await delegate.call("caption.follow", {"session": room, "language": "fr"})
    reserved = await japanese.call("caption.send", {**line(room, "hi"), "seq": 7})
    malformed = await japanese.call("caption.send", {"session": room, "language": ["ja"], "text": "hi"})
    other_event = await elsewhere.join(room)
    sent = await japanese.call("caption.send", line(room, "ちゃんと届きます"))

    assert (nul["code"], nul["error"]) == ("invalid", "A caption line cannot contain NUL characters.")
    assert (empty["code"], empty["error"]) == ("invalid", "Please write something first.")
    assert (long["code"], long["error"]) == ("invalid", "Please keep it under 300 characters.")
    assert (french["code"], french["error"]) == ("invalid", "This event offers no captions in fr.")
    message = "Only the event's captioners of this language may send its captions."
    assert (other_language["code"], other_language["error"]) == ("forbidden", message)
    assert (viewer["code"], viewer["error"]) == ("forbidden", message)
    assert (not_offered["code"], not_offered["error"]) == ("invalid", "This event offers no captions in fr.")
    assert (reserved["code"], reserved["error"]) == ("invalid", "Unknown field: seq.")
    assert malformed["code"] == "invalid"
    assert other_event["ok"] is False  # a captioner of another event is not even in this event's rooms
    assert sent["line"]["seq"] == 1  # nothing refused took a number


async def test_a_flooding_captioner_is_held_back_and_questions_still_work(
    world: World, captioners: Captioners, clients
) -> None:
    room = world.session.id
    captioner, viewer, asker = (
        await clients(captioners.japanese),
        await clients(world.onsite),
        await clients(world.delegate),
    )
    for client in (captioner, viewer, asker):
        assert (await client.join(room))["ok"]
    await viewer.call("caption.follow", {"session": room, "language": "ja"})

    answers = await asyncio.gather(*(captioner.call("caption.send", line(room, f"line {n}")) for n in range(35)))
    asked = await asker.call("question.ask", {"session": room, "text": "Still working?", "client_id": client_id()})
    question = await viewer.wait_for("room_event", lambda event: event["kind"] in ("question", "question_pending"))
    kept = sorted(answer["line"]["seq"] for answer in answers if answer["ok"])
    await viewer.wait_for("caption", lambda data: data["seq"] == len(kept))

    refused = [answer for answer in answers if not answer["ok"]]
    assert 20 <= len(kept) < 35
    assert kept == list(range(1, len(kept) + 1))  # no gaps in what was kept
    assert {(answer["code"], answer["error"]) for answer in refused} == {
        ("rate_limited", "Too many requests. Please wait a moment.")
    }
    assert sorted(data["seq"] for data in viewer.received["caption"]) == kept  # refused lines went nowhere
    assert asked["ok"] is True and question["session"] == room


async def test_a_captioner_whose_rights_are_taken_away_stops_with_the_socket_open(
    world: World, captioners: Captioners, clients, database: Database
) -> None:
    room = world.session.id
    japanese, english = await clients(captioners.japanese), await clients(captioners.english)
    for client in (japanese, english):
        assert (await client.join(room))["ok"]
    before = await japanese.call("caption.send", line(room, "まだ大丈夫"))

    async with database.session() as db:  # the language alone is taken away: no revocation is recorded
        await db.exec(delete(RoleLanguage).where(RoleLanguage.account_id == captioners.japanese.account.id))
        await db.commit()
    language_gone = await japanese.call("caption.send", line(room, "もう送れない"))
    async with database.session() as db:  # the organiser removes the English captioner from the event
        organiser = await actor_in(db, account=world.organiser.account, event=world.event)
        await remove_from_event(db, actor=organiser, event=world.event, account_id=captioners.english.account.id or 0)
    role_gone = await lost_within(english, "caption.send", line(room, "Still here?", language="en"))

    assert before["ok"] is True
    assert (language_gone["code"], language_gone["error"]) == (
        "forbidden",
        "Only the event's captioners of this language may send its captions.",
    )
    assert role_gone in ("forbidden", "not_joined")
    assert japanese.sio.connected and english.sio.connected


async def test_webvtt_is_for_those_who_may_enter_the_room(
    world: World, captioners: Captioners, clients, live_rooms: LiveRoomsServer
) -> None:
    room = world.session.id
    captioner = await clients(captioners.japanese)
    await captioner.join(room)
    await captioner.call("caption.send", line(room, "記録"))
    theirs = f"/{world.event.slug}/sessions/{world.other_session.code}/captions/ja.vtt"

    answers = {
        "delegate": await fetched(live_rooms, world.delegate, world.path("captions/ja.vtt")),
        "outsider": await fetched(live_rooms, world.outsider, world.path("captions/ja.vtt")),
        "anonymous": await fetched(live_rooms, None, world.path("captions/ja.vtt")),
        "not offered": await fetched(live_rooms, world.delegate, world.path("captions/fr.vtt")),
        "another event's session": await fetched(live_rooms, world.organiser, theirs),
        "no lines yet": await fetched(live_rooms, world.delegate, world.path("captions/en.vtt")),
    }

    assert {name: answer.status_code for name, answer in answers.items()} == {
        "delegate": 200,
        "outsider": 404,
        "anonymous": 404,
        "not offered": 404,
        "another event's session": 404,
        "no lines yet": 200,
    }
    assert "記録" in answers["delegate"].text
    assert answers["no lines yet"].text.startswith("WEBVTT\n")


async def test_pages_offer_the_captions_of_the_event(
    world: World, captioners: Captioners, live_rooms: LiveRoomsServer
) -> None:
    captioner_room = page(await fetched(live_rooms, captioners.japanese, world.path("room")))
    delegate_room = page(await fetched(live_rooms, world.delegate, world.path("room")))
    captioner_page = page(await fetched(live_rooms, captioners.japanese, world.path("caption?language=en")))
    organiser_page = page(await fetched(live_rooms, world.organiser, world.path("caption?language=ja")))
    screen = page(await fetched(live_rooms, world.moderator, world.path("screen?captions=ja")))
    plain_screen = page(await fetched(live_rooms, world.moderator, world.path("screen?captions=fr")))

    # The event has captioners of English and Japanese: those are the viewer's choices, in the event's order.
    assert delegate_room.xpath("//*[@data-caption-choices]/li/@data-value") == ["en", "ja"]
    assert delegate_room.xpath("//a[text()='Write captions']") == []
    assert captioner_room.xpath("//a[text()='Write captions']/@href") == [world.path("caption")]
    # A captioner writes their own language whatever the address asks; an organiser picks any of the event's.
    assert captioner_page.xpath("//form[@id='caption-form']/@data-language") == ["ja"]
    assert captioner_page.xpath("//select[@id='caption-language']") == []
    assert organiser_page.xpath("//form[@id='caption-form']/@data-language") == ["ja"]
    assert organiser_page.xpath("//select[@id='caption-language']/option/@value") == ["en", "zh", "ja"]
    assert screen.xpath("//*[@data-captions]/@data-language") == ["ja"]
    assert plain_screen.xpath("//*[@data-captions]") == []


async def test_a_viewer_who_loses_the_room_stops_receiving_its_captions(
    world: World, captioners: Captioners, clients, database: Database
) -> None:
    room = world.session.id
    captioner, viewer = await clients(captioners.japanese), await clients(world.delegate)
    for client in (captioner, viewer):
        assert (await client.join(room))["ok"]
    await viewer.call("caption.follow", {"session": room, "language": "ja"})
    await captioner.call("caption.send", line(room, "まだ見えます"))
    await viewer.wait_for("caption", lambda data: data["seq"] == 1)

    async with database.session() as db:
        organiser = await actor_in(db, account=world.organiser.account, event=world.event)
        await remove_from_event(db, actor=organiser, event=world.event, account_id=world.delegate.account.id or 0)
    await viewer.wait_for("revoked")
    after = await captioner.call("caption.send", line(room, "もう見えません"))
    await asyncio.sleep(0.3)  # what the viewer would have been sent by now

    assert after["line"]["seq"] == 2
    assert [data["seq"] for data in viewer.received["caption"]] == [1]
