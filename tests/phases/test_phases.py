"""A session's phase (server/phases): one rule from the schedule, the relay and the replay, the same in now.json, the
agenda and the API at each moment of a scripted timeline; "On now" per room; a fixed number of statements."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import lxml.html
import pytest

from server.agenda.models import Room, Session
from server.app import create_app
from server.app_services import services_of
from server.archive.models import SessionArchive
from server.db import Database, QueryCounter
from server.events.models import Event
from server.phases import rule
from server.phases.rule import STARTING_SOON, Phase, phase_of
from server.replays.models import Replay, ReplayState
from server.settings import Settings
from server.streams.relay_control import HttpRelayControl
from tests.support.ports import free_port

BOTH_BACKENDS = pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
SLUG = "phases"
START = dt.datetime(2030, 5, 6, 2, 0, tzinfo=dt.UTC)  # 10:00 in Singapore
MINUTE = dt.timedelta(minutes=1)


@dataclass
class Programme:
    event_id: int
    talk: int  # in a streamed room, 10:00–11:00
    panel: int  # in a room that is not streamed, 10:00–11:00
    later: int  # streamed room, 13:00–14:00
    dropped: int  # cancelled, streamed room, 10:00–11:00


async def make_programme(database: Database, *, slug: str = SLUG, extra_rooms: int = 0) -> Programme:
    async with database.session() as db:
        event = Event(
            slug=slug,
            title="Phases 2030",
            timezone="Asia/Singapore",
            start_date=dt.date(2030, 5, 6),
            end_date=dt.date(2030, 5, 6),
            published=True,
        )
        db.add(event)
        await db.flush()
        assert event.id is not None
        hall = Room(event_id=event.id, slug="hall", name="Main Hall", position=0, streamed=True)
        side = Room(event_id=event.id, slug="side", name="Side Room", position=1)
        db.add_all([hall, side])
        await db.flush()
        assert hall.id and side.id

        def session(code: str, title: str, room: int, start: dt.datetime, *, cancelled: bool = False) -> Session:
            return Session(
                event_id=event.id or 0,
                code=code,
                title=title,
                kind="plenary",
                start=start,
                end=start + dt.timedelta(hours=1),
                room_id=room,
                cancelled=cancelled,
            )

        talk = session("talk", "Opening <Talk>", hall.id, START)
        panel = session("panel", "Side Panel", side.id, START)
        later = session("later", "Afternoon Talk", hall.id, START + dt.timedelta(hours=3))
        dropped = session("dropped", "Dropped Talk", hall.id, START - dt.timedelta(hours=2), cancelled=True)
        db.add_all([talk, panel, later, dropped])
        for number in range(extra_rooms):
            room = Room(event_id=event.id, slug=f"room-{number}", name=f"Room {number}", position=10 + number)
            db.add(room)
            await db.flush()
            db.add(session(f"r{number}-a", f"Room {number} morning", room.id or 0, START))
            db.add(session(f"r{number}-b", f"Room {number} afternoon", room.id or 0, START + dt.timedelta(hours=3)))
        await db.commit()
        return Programme(event.id, talk.id or 0, panel.id or 0, later.id or 0, dropped.id or 0)


@pytest.fixture
async def site(settings: Settings, database: Database) -> AsyncIterator[tuple[Any, httpx.AsyncClient]]:
    app = create_app(settings, database)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://podium.test") as http:
        yield app, http


def at(monkeypatch: pytest.MonkeyPatch, app: Any, moment: dt.datetime) -> None:
    """Moves the phases' clock and forgets what the app kept, as two seconds of waiting would."""
    monkeypatch.setattr(rule, "current_time", lambda: moment)
    services_of(app).phase_boards.forget()


async def phases_everywhere(http: httpx.AsyncClient, code: str) -> dict[str, str]:
    """The session's phase as now.json, the agenda's card and the API say it."""
    now = (await http.get(f"/{SLUG}/now.json")).json()
    agenda = lxml.html.fromstring((await http.get(f"/{SLUG}/")).text)
    cards = [card for card in agenda.iter("article") if card.get("data-code") == code]
    api = (await http.get(f"/api/v1/events/{SLUG}/sessions/{code}")).json()
    return {"now.json": now["sessions"][code]["phase"], "agenda": cards[0].get("data-phase"), "api": api["phase"]}


async def publish_replay(
    database: Database, programme: Programme, session_id: int, *, state: str, published: bool
) -> None:
    async with database.session() as db:
        db.add(Replay(session_id=session_id, event_id=programme.event_id, state=state, stored_name="r.webm"))
        db.add(SessionArchive(session_id=session_id, event_id=programme.event_id, replay_published=published))
        await db.commit()


# The rule


@pytest.mark.unit
@pytest.mark.parametrize(
    ("now", "streamed", "on_air", "replay", "cancelled", "phase"),
    [
        (START - STARTING_SOON - MINUTE, True, False, False, False, Phase.upcoming),
        (START - STARTING_SOON, True, False, False, False, Phase.starting_soon),
        (START - MINUTE, False, False, False, False, Phase.starting_soon),
        (START, True, False, False, False, Phase.starting_soon),  # streamed: its stream is awaited
        (START, False, False, False, False, Phase.live),  # on site only: it runs
        (START - dt.timedelta(hours=5), True, True, False, False, Phase.live),  # media makes it live, early or late
        (START + dt.timedelta(hours=2), True, True, True, False, Phase.live),
        (START + dt.timedelta(hours=1), True, False, False, False, Phase.ended),
        (START + dt.timedelta(hours=1), True, False, True, False, Phase.replay),
        (START + dt.timedelta(minutes=30), True, False, True, False, Phase.starting_soon),  # a replay waits the end
        (START, True, True, False, True, Phase.cancelled),
    ],
)
def test_phase_of_follows_schedule_relay_and_replay(
    now: dt.datetime, streamed: bool, on_air: bool, replay: bool, cancelled: bool, phase: Phase
) -> None:
    found = phase_of(
        start=START,
        end=START + dt.timedelta(hours=1),
        cancelled=cancelled,
        streamed=streamed,
        on_air=on_air,
        replay_ready=replay,
        now=now,
    )

    assert found == phase


# The timeline, on both databases


@BOTH_BACKENDS
async def test_the_phase_is_the_same_in_now_json_the_agenda_and_the_api_at_each_moment(
    site: tuple[Any, httpx.AsyncClient], database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, http = site
    programme = await make_programme(database)
    seen = {}
    timeline = [
        ("before", START - dt.timedelta(hours=1)),
        ("starting soon", START - dt.timedelta(minutes=5)),
        ("in its time", START + dt.timedelta(minutes=10)),
        ("ended", START + dt.timedelta(hours=1, minutes=5)),
    ]
    for name, moment in timeline:
        at(monkeypatch, app, moment)
        seen[name] = {code: await phases_everywhere(http, code) for code in ("talk", "panel", "dropped")}
    await publish_replay(database, programme, programme.talk, state=ReplayState.ready, published=True)
    await publish_replay(database, programme, programme.panel, state=ReplayState.ready, published=False)
    services_of(app).phase_boards.forget()
    seen["replay ready"] = {code: await phases_everywhere(http, code) for code in ("talk", "panel", "dropped")}

    def same(phase: str) -> dict[str, str]:
        return {"now.json": phase, "agenda": phase, "api": phase}

    assert seen == {
        "before": {"talk": same("upcoming"), "panel": same("upcoming"), "dropped": same("cancelled")},
        "starting soon": {"talk": same("starting_soon"), "panel": same("starting_soon"), "dropped": same("cancelled")},
        "in its time": {"talk": same("starting_soon"), "panel": same("live"), "dropped": same("cancelled")},
        "ended": {"talk": same("ended"), "panel": same("ended"), "dropped": same("cancelled")},
        # A hidden replay (the panel's) is no replay for viewers.
        "replay ready": {"talk": same("replay"), "panel": same("ended"), "dropped": same("cancelled")},
    }


@BOTH_BACKENDS
async def test_a_replay_still_processing_or_failed_leaves_the_session_ended(
    site: tuple[Any, httpx.AsyncClient], database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, http = site
    programme = await make_programme(database)
    await publish_replay(database, programme, programme.talk, state=ReplayState.processing, published=True)
    await publish_replay(database, programme, programme.panel, state=ReplayState.failed, published=True)
    at(monkeypatch, app, START + dt.timedelta(hours=2))

    sessions = (await http.get(f"/{SLUG}/now.json")).json()["sessions"]

    assert (sessions["talk"]["phase"], sessions["panel"]["phase"]) == ("ended", "ended")


async def test_on_now_lists_each_room_with_its_session_a_watch_link_and_the_next(
    site: tuple[Any, httpx.AsyncClient], database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, http = site
    await make_programme(database)
    at(monkeypatch, app, START + dt.timedelta(minutes=10))

    document = (await http.get(f"/{SLUG}/now.json", headers={"accept-language": "en"})).json()
    agenda = lxml.html.fromstring((await http.get(f"/{SLUG}/", headers={"accept-language": "en"})).text)

    rooms = {room["slug"]: room for room in document["rooms"]}
    assert list(rooms) == ["hall", "side"]
    hall = rooms["hall"]
    assert (hall["now"]["code"], hall["now"]["phase"], hall["now"]["label"]) == (
        "talk",
        "starting_soon",
        "Starting soon",
    )
    assert hall["now"]["title"] == "Opening <Talk>"
    assert hall["now"]["watch_url"] == f"/{SLUG}/sessions/talk/room"
    assert (hall["next"]["code"], hall["next"]["start"]) == ("later", (START + dt.timedelta(hours=3)).isoformat())
    assert (rooms["side"]["now"]["code"], rooms["side"]["now"]["label"], rooms["side"]["next"]) == (
        "panel",
        "Live",
        None,
    )
    # The front page shows the same, rendered on the server (its script keeps it current), escaped.
    panel = agenda.find_class("on-now")[0]
    assert panel.get("data-now-url") == f"/{SLUG}/now.json"
    watch = [link.get("href") for link in panel.find_class("on-now-watch")]
    assert watch == [f"/{SLUG}/sessions/talk/room", f"/{SLUG}/sessions/panel/room"]
    texts = [" ".join(item.text_content().split()) for item in panel.find_class("on-now-room")]
    assert texts[0] == "Main Hall Starting soon Opening <Talk> Watch: Opening <Talk> Next: 13:00 Afternoon Talk"
    assert texts[1] == "Side Room Live Side Panel Watch: Side Panel"


async def test_after_the_day_nothing_is_on_now(
    site: tuple[Any, httpx.AsyncClient], database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, http = site
    await make_programme(database)
    at(monkeypatch, app, START + dt.timedelta(days=1))

    document = (await http.get(f"/{SLUG}/now.json")).json()
    agenda = lxml.html.fromstring((await http.get(f"/{SLUG}/")).text)

    assert document["rooms"] == []
    assert agenda.find_class("on-now")[0].get("hidden") is not None


async def test_now_json_of_a_draft_or_unknown_event_is_not_found(
    site: tuple[Any, httpx.AsyncClient], database: Database
) -> None:
    _app, http = site
    programme = await make_programme(database)
    async with database.session() as db:
        event = await db.get_one(Event, programme.event_id)
        event.published = False
        db.add(event)
        await db.commit()

    assert (await http.get(f"/{SLUG}/now.json")).status_code == 404
    assert (await http.get("/no-such-event/now.json")).status_code == 404


# Cost


async def now_json_statements(app: Any, http: httpx.AsyncClient, slug: str) -> int:
    services_of(app).phase_boards.forget()  # a miss: the programme and the board are read
    with QueryCounter() as counted:
        response = await http.get(f"/{slug}/now.json")
    assert response.status_code == 200
    return counted.count


@BOTH_BACKENDS
async def test_on_now_for_ten_rooms_costs_a_fixed_number_of_statements(
    site: tuple[Any, httpx.AsyncClient], database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, http = site
    await make_programme(database, slug="small")
    await make_programme(database, slug="large", extra_rooms=8)
    monkeypatch.setattr(rule, "current_time", lambda: START + dt.timedelta(minutes=10))

    small = await now_json_statements(app, http, "small")
    large = await now_json_statements(app, http, "large")
    with QueryCounter() as counted:  # a poll within the board's moment reads the event's stamp only
        document = (await http.get("/large/now.json")).json()

    assert len(document["rooms"]) == 10
    assert all(room["now"] is not None for room in document["rooms"])
    assert large == small <= 14  # the stamp, the event, the programme (seven), the board (two), transactions
    assert counted.count == 1


async def test_a_relay_that_does_not_answer_leaves_the_schedule_to_decide(
    site: tuple[Any, httpx.AsyncClient], database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, http = site
    await make_programme(database)
    services_of(app).relay_control = HttpRelayControl(f"http://127.0.0.1:{free_port()}", "secret")
    at(monkeypatch, app, START + dt.timedelta(minutes=10))

    began = time.monotonic()
    first = await http.get(f"/{SLUG}/now.json")
    services_of(app).phase_boards.forget_boards()  # the board again, the relay's silence still remembered
    second = await http.get(f"/api/v1/events/{SLUG}/sessions/panel")
    took = time.monotonic() - began

    assert first.status_code == second.status_code == 200
    assert (first.json()["sessions"]["talk"]["phase"], second.json()["phase"]) == ("starting_soon", "live")
    assert took < 3  # asked once, briefly: a page does not wait on a relay that is away


async def test_a_next_session_on_another_day_carries_its_date(
    site: tuple[Any, httpx.AsyncClient], database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, http = site
    await make_programme(database)
    at(monkeypatch, app, START - dt.timedelta(days=1))

    agenda = lxml.html.fromstring((await http.get(f"/{SLUG}/", headers={"accept-language": "en"})).text)

    times = [" ".join(moment.text_content().split()) for moment in agenda.find_class("on-now")[0].iter("time")]
    assert times == ["May 6, 2030 10:00", "May 6, 2030 10:00"]  # the hall's and the side room's next, in Singapore
