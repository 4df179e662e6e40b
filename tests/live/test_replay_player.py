"""The replay player's data through real clients on a real server: chapters where a question went on the room screen
and where a poll opened, at their places in the replay; the captions on the replay's clock; and who may have them
(a ready, published replay, the event's audience; another event's session is not found)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest
from sqlmodel import col, func, select

from server.accounts.models import Role
from server.archive.models import SessionArchive
from server.captions.models import CaptionLine
from server.db import Database
from server.events.models import Event
from server.live.models import LiveSettings, RoomLog
from server.replays.models import Replay
from tests.support import factories
from tests.support.factories import Person
from tests.support.live_clients import LiveClient, client_id
from tests.support.servers import LiveRoomsServer
from tests.support.world import World

pytestmark = pytest.mark.integration
BOTH_BACKENDS = pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)

# The session's clock as the test sets it: room log entry n happened at BASE + n × STEP; the recording began LEAD
# before BASE, so entry n is at n × STEP + LEAD in the replay.
BASE = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)
STEP, LEAD = 10, 3


async def fetched(live_rooms: LiveRoomsServer, person: Person | None, path: str) -> httpx.Response:
    cookies = {"podium_session": person.token} if person else {}
    async with httpx.AsyncClient(base_url=live_rooms.url, cookies=cookies) as http:
        return await http.get(path)


async def last_seq(database: Database, session_id: int) -> int:
    async with database.session() as db:
        return int((await db.exec(select(func.max(RoomLog.seq)).where(RoomLog.session_id == session_id))).one())


async def put_on_the_log_clock(database: Database, session_id: int) -> None:
    async with database.session() as db:
        for entry in (await db.exec(select(RoomLog).where(RoomLog.session_id == session_id))).all():
            entry.created_at = BASE + dt.timedelta(seconds=STEP * entry.seq)
            db.add(entry)
        await db.commit()


async def ready_replay(
    database: Database,
    session_id: int,
    event_id: int,
    *,
    published: bool = True,
    audience: str = "delegates",
    state: str = "ready",
    timeline: list[dict[str, Any]] | None = None,
    duration: float = 600.0,
) -> None:
    """The replay the replays part would have made: its row, its publication and the event's audience."""
    start_ms = int((BASE - dt.timedelta(seconds=LEAD)).timestamp() * 1000)
    async with database.session() as db:
        replay = await db.get(Replay, session_id) or Replay(session_id=session_id, event_id=event_id)
        replay.state, replay.stored_name, replay.content_type = state, f"{session_id}.webm", "video/webm"
        replay.duration_seconds, replay.size_bytes = duration, 1000
        replay.timeline = timeline if timeline is not None else [{"wall_ms": start_ms, "offset": 0.0}]
        archive = await db.get(SessionArchive, session_id) or SessionArchive(session_id=session_id, event_id=event_id)
        archive.replay_published = published
        settings = await db.get(LiveSettings, event_id) or LiveSettings(event_id=event_id)
        settings.replay_audience = audience
        db.add_all([replay, archive, settings])
        await db.commit()


async def published_question(delegate: LiveClient, chair: LiveClient, room: int, text: str) -> int:
    asked = await delegate.call("question.ask", {"session": room, "text": text, "client_id": client_id()})
    question = asked["question"]
    if question["status"] != "approved":
        await chair.call("question.approve", {"session": room, "question": question["id"]})
    return int(question["id"])


@BOTH_BACKENDS
async def test_chapters_are_the_highlighted_questions_and_opened_polls_at_their_replay_offsets(
    world: World, database: Database, clients, live_rooms: LiveRoomsServer
) -> None:
    room = world.session.id
    chair, delegate = await clients(world.moderator), await clients(world.delegate)
    for client in (chair, delegate):
        assert (await client.join(room))["ok"]
    first = await published_question(delegate, chair, room, "How will the recommendations be followed up?")
    script = await published_question(delegate, chair, room, "<script>alert(1)</script> & after")
    dropped = await published_question(delegate, chair, room, "Rejected after it was shown")
    poll = (
        await chair.call(
            "poll.create",
            {
                "session": room,
                "question": "Which day?",
                "kind": "single",
                "options": ["A", "B"],
                "client_id": client_id(),
            },
        )
    )["poll"]
    moments: dict[str, int] = {}
    await chair.call("question.highlight", {"session": room, "question": first})
    moments["first"] = await last_seq(database, room)
    await chair.call("question.label", {"session": room, "question": first, "label": "Now"})  # no new chapter
    await chair.call("poll.open", {"session": room, "poll": poll["id"]})
    moments["poll"] = await last_seq(database, room)
    await chair.call("poll.close", {"session": room, "poll": poll["id"]})
    await chair.call("question.highlight", {"session": room, "question": script})
    moments["script"] = await last_seq(database, room)
    await chair.call("question.highlight", {"session": room, "question": dropped})
    await chair.call("question.reject", {"session": room, "question": dropped})
    await chair.call("question.highlight", {"session": room, "question": None})
    await chair.call("question.highlight", {"session": room, "question": first})  # shown again: a chapter again
    moments["again"] = await last_seq(database, room)
    await put_on_the_log_clock(database, room)
    await ready_replay(database, room, world.event.id)

    answer = await fetched(live_rooms, world.delegate, world.path("replay/player.json"))
    vtt = await fetched(live_rooms, world.delegate, world.path("replay/chapters.vtt"))

    assert answer.status_code == 200
    at = {name: float(STEP * seq + LEAD) for name, seq in moments.items()}
    assert answer.json()["chapters"] == [
        {"start": at["first"], "kind": "question", "title": "Question: How will the recommendations be followed up?"},
        {"start": at["poll"], "kind": "poll", "title": "Poll: Which day?"},
        {"start": at["script"], "kind": "question", "title": "Question: <script>alert(1)</script> & after"},
        {"start": at["again"], "kind": "question", "title": "Question: How will the recommendations be followed up?"},
    ]
    assert answer.json()["chapters_url"] == world.path("replay/chapters.vtt")
    assert answer.json()["src"] == f"/{world.event.slug}/sessions/{world.session.code}/replay.webm"
    assert vtt.status_code == 200
    assert vtt.headers["content-type"] == "text/vtt; charset=utf-8"
    cues = vtt.text.split("\n\n")[1:]
    assert cues[2].splitlines()[2] == "Question: &lt;script&gt;alert(1)&lt;/script&gt; &amp; after"
    assert [cue.splitlines()[1] for cue in cues] == [
        f"{clock(at['first'])} --> {clock(at['poll'])}",
        f"{clock(at['poll'])} --> {clock(at['script'])}",
        f"{clock(at['script'])} --> {clock(at['again'])}",
        f"{clock(at['again'])} --> 00:10:00.000",
    ]


def clock(seconds: float) -> str:
    whole = int(seconds)
    return f"00:{whole // 60:02d}:{whole % 60:02d}.{round((seconds - whole) * 1000):03d}"


@BOTH_BACKENDS
async def test_captions_are_on_the_replays_clock_and_only_those_recorded(
    world: World, database: Database, clients, live_rooms: LiveRoomsServer
) -> None:
    room = world.session.id
    async with database.session() as db:
        event = await db.get_one(Event, world.event.id)
        event.languages = "en,ja"
        db.add(event)
        await db.commit()
        captioner = await factories.person(db, event, "Kana Captioner", role=Role.captioner, languages=("ja",))
    client = await clients(captioner)
    assert (await client.join(room))["ok"]
    said = {"before": -20, "first": 5, "in the gap": 70, "after the drop": 95, "after the end": 500}
    for text in said:
        line = {"session": room, "language": "ja", "text": f"<i>{text}</i>", "client_id": client_id()}
        assert "line" in await client.call("caption.send", line)
    async with database.session() as db:
        rows = await db.exec(select(CaptionLine).where(CaptionLine.session_id == room).order_by(col(CaptionLine.seq)))
        for line, seconds in zip(rows.all(), said.values(), strict=True):
            line.said_at = BASE + dt.timedelta(seconds=seconds)
            db.add(line)
        await db.commit()
    # Recorded: 0–60 s of the session, then (a dropped publisher) from 90 s on, at 60 s into the replay.
    base_ms = int(BASE.timestamp() * 1000)
    timeline = [{"wall_ms": base_ms, "offset": 0.0}, {"wall_ms": base_ms + 90_000, "offset": 60.0}]
    await ready_replay(database, room, world.event.id, timeline=timeline, duration=300.0)

    answer = await fetched(live_rooms, world.delegate, world.path("replay/player.json"))
    japanese = await fetched(live_rooms, world.delegate, world.path("replay/captions/ja.vtt"))
    english = await fetched(live_rooms, world.delegate, world.path("replay/captions/en.vtt"))

    assert answer.json()["captions"] == [
        {"language": "ja", "label": "Japanese", "src": world.path("replay/captions/ja.vtt")}
    ]
    assert japanese.status_code == 200
    cues = japanese.text.split("\n\n")[2:]
    assert [cue.splitlines()[1:] for cue in cues] == [
        ["00:00:05.000 --> 00:00:12.000", "&lt;i&gt;first&lt;/i&gt;"],
        ["00:01:00.000 --> 00:01:05.000", "&lt;i&gt;in the gap&lt;/i&gt;"],  # where recording resumed
        ["00:01:05.000 --> 00:01:09.000", "&lt;i&gt;after the drop&lt;/i&gt;"],
    ]
    assert english.status_code == 404  # no lines in English
    for hostile in ("%00", "%3Cscript%3E", "ja%2F..%2F..", "x" * 300):
        answer = await fetched(live_rooms, world.delegate, world.path(f"replay/captions/{hostile}.vtt"))
        assert 400 <= answer.status_code < 500, hostile


@BOTH_BACKENDS
async def test_the_player_is_for_those_who_may_watch_a_ready_published_replay(
    world: World, database: Database, live_rooms: LiveRoomsServer
) -> None:
    room, event_id = world.session.id, world.event.id
    path = world.path("replay/player.json")
    theirs = f"/{world.event.slug}/sessions/{world.other_session.code}/replay/player.json"
    people: dict[str, Person | None] = {
        "anonymous": None,
        "delegate": world.delegate,
        "outsider": world.outsider,
        "moderator": world.moderator,
        "organiser": world.organiser,
        "other event's moderator": world.other_moderator,
    }

    async def statuses() -> dict[str, int]:
        return {name: (await fetched(live_rooms, person, path)).status_code for name, person in people.items()}

    nothing = await statuses()
    await ready_replay(database, room, event_id, state="processing")
    processing = await statuses()
    await ready_replay(database, room, event_id, published=False)
    hidden = await statuses()
    await ready_replay(database, room, event_id)
    for_delegates = await statuses()
    chapters = await fetched(live_rooms, world.outsider, world.path("replay/chapters.vtt"))
    await ready_replay(database, room, event_id, audience="everyone")
    for_everyone = await statuses()
    await ready_replay(database, world.other_session.id, world.other_event.id, audience="everyone")
    other = await fetched(live_rooms, world.organiser, theirs)
    page = await fetched(live_rooms, None, world.path("").rstrip("/"))

    # Nothing to watch answers "no content", the same whether a replay exists or not.
    assert set(nothing.values()) == {204}
    assert set(processing.values()) == {204}
    assert hidden == dict.fromkeys(people, 204) | {"organiser": 200}
    assert for_delegates == dict.fromkeys(people, 204) | {"delegate": 200, "moderator": 200, "organiser": 200}
    assert chapters.status_code == 404
    assert for_everyone == dict.fromkeys(people, 200)
    assert other.status_code == 404  # another event's session, from this event's address
    assert page.status_code == 200
    assert f'data-replay-player-url="{path}"' in page.text
