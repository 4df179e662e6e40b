"""The read-only JSON API: shapes, the agenda filters, and JSON errors instead of 500s."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest
from sqlmodel import select

from server.agenda.models import Room, Session
from server.db import Database, QueryCounter
from server.events.models import Event

pytestmark = pytest.mark.integration

BASE_URL = "http://127.0.0.1:8000"
# Facts of the demo event the filters are checked against.
FIRST_DAY = "2021-10-27"
FIRST_DAY_CODES = [
    "OPEN", "VIDEO-DDG", "ALLIANCE", "EXPO-OPEN", "EXPO-ASIA", "EXPO-AXIS", "EXPO-GARDENS", "BREAK-1",
    "KEYNOTE", "LUNCH-1", "SD-1", "EML-1", "FC-1", "SD-2", "EML-2", "FC-2", "BREAK-2",
    "SD-3", "EML-3", "FC-3", "SD-4", "EML-4", "FC-4", "ONLINE-1",
]  # fmt: skip
TRACK = "future-challenges"
TRACK_CODES = ["FC-1", "FC-2", "FC-3", "FC-4", "FC-5", "FC-6", "FC-7", "FC-8"]
ROOM = "online-studio"
ROOM_CODES = ["ONLINE-1", "TOUR-AXIS"]
KIND = "video-address"
KIND_CODES = ["VIDEO-DDG"]
SPEAKER = "Thiri Aung"
SPEAKER_CODES = ["FC-2", "FC-8"]


def codes(body: dict[str, Any]) -> list[str]:
    return [session["code"] for session in body["sessions"]]


async def all_sessions(client: httpx.AsyncClient, slug: str) -> list[dict[str, Any]]:
    body = (await client.get(f"/api/v1/events/{slug}/sessions")).json()
    return list(body["sessions"])


async def add_other_event(database: Database) -> tuple[str, str]:
    """Another event whose session could leak into the demo's answers; returns its slug and session code."""
    async with database.session() as db:
        event = Event(
            slug="other-forum",
            title="Other Forum",
            timezone="Europe/Berlin",
            start_date=dt.date(2022, 5, 2),
            end_date=dt.date(2022, 5, 2),
        )
        db.add(event)
        await db.flush()
        room = Room(event_id=event.id or 0, slug="aula", name="Aula")
        db.add(room)
        await db.flush()
        start = dt.datetime(2022, 5, 2, 8, 0, tzinfo=dt.UTC)
        db.add(
            Session(
                event_id=event.id or 0,
                code="ONLY-HERE",
                title="Not in the demo",
                kind="plenary",
                start=start,
                end=start + dt.timedelta(hours=1),
                room_id=room.id or 0,
            )
        )
        await db.commit()
    return "other-forum", "ONLY-HERE"


# Events


async def test_events_list_shows_each_event_once(client: httpx.AsyncClient, demo_event: str) -> None:
    response = await client.get("/api/v1/events")

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    events = response.json()["events"]
    assert [event["slug"] for event in events] == [demo_event]
    assert events[0]["timezone"] == "Asia/Shanghai"
    assert events[0]["url"] == f"{BASE_URL}/{demo_event}/"


async def test_event_detail_lists_rooms_tracks_and_days(client: httpx.AsyncClient, demo_event: str) -> None:
    response = await client.get(f"/api/v1/events/{demo_event}")

    assert response.status_code == 200
    event = response.json()
    assert event["slug"] == demo_event
    assert event["days"][0] == FIRST_DAY
    assert ROOM in [room["slug"] for room in event["rooms"]]
    assert TRACK in [track["slug"] for track in event["tracks"]]
    assert set(event["tracks"][0]) == {"slug", "name", "color", "translations"}


# Sessions


async def test_session_detail_has_the_public_shape(client: httpx.AsyncClient, demo_event: str) -> None:
    listed = (await all_sessions(client, demo_event))[0]
    code = listed["code"]

    response = await client.get(f"/api/v1/events/{demo_event}/sessions/{code}")

    assert response.status_code == 200
    session = response.json()
    assert session == listed
    assert set(session) == {
        "code",
        "guid",
        "title",
        "abstract",
        "kind",
        "start",
        "end",
        "room",
        "track",
        "language",
        "cancelled",
        "phase",
        "speakers",
        "url",
        "translations",
    }
    assert set(session["room"]) == {"slug", "name", "translations"}
    assert dt.datetime.fromisoformat(session["start"]).utcoffset() == dt.timedelta(hours=8)
    assert dt.datetime.fromisoformat(session["end"]) > dt.datetime.fromisoformat(session["start"])
    assert session["url"] == f"{BASE_URL}/{demo_event}/sessions/{code}"


async def test_sessions_without_filter_are_the_whole_programme_in_time_order(
    client: httpx.AsyncClient, demo_event: str
) -> None:
    body = (await client.get(f"/api/v1/events/{demo_event}/sessions")).json()

    starts = [session["start"] for session in body["sessions"]]
    assert body["count"] == len(starts)
    assert starts == sorted(starts)
    assert len(set(codes(body))) == body["count"]


async def test_sessions_filtered_by_day(client: httpx.AsyncClient, demo_event: str) -> None:
    body = (await client.get(f"/api/v1/events/{demo_event}/sessions", params={"day": FIRST_DAY})).json()

    assert codes(body) == FIRST_DAY_CODES
    assert all(session["start"].startswith(FIRST_DAY) for session in body["sessions"])


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"track": TRACK}, TRACK_CODES),
        ({"room": ROOM}, ROOM_CODES),
        ({"kind": KIND}, KIND_CODES),
        ({"day": "2021-10-28", "track": TRACK, "room": "lotus-room"}, ["FC-5", "FC-6", "FC-7", "FC-8"]),
        ({"day": "2021-10-28", "kind": "break"}, ["BREAK-3", "LUNCH-2", "BREAK-4"]),
    ],
)
async def test_sessions_filtered_by_track_room_and_kind(
    client: httpx.AsyncClient, demo_event: str, params: dict[str, str], expected: list[str]
) -> None:
    response = await client.get(f"/api/v1/events/{demo_event}/sessions", params=params)

    assert response.status_code == 200
    assert codes(response.json()) == expected


async def test_sessions_search_matches_a_speaker_name(client: httpx.AsyncClient, demo_event: str) -> None:
    body = (await client.get(f"/api/v1/events/{demo_event}/sessions", params={"q": SPEAKER.upper()})).json()

    assert codes(body) == SPEAKER_CODES
    assert SPEAKER in [speaker["name"] for speaker in body["sessions"][0]["speakers"]]


# Errors: JSON, 4xx, never 500


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/api/v1/events/no-such-event", {}),
        ("/api/v1/events/no-such-event/sessions", {}),
        ("/api/v1/events/{slug}/sessions/NO-SUCH-SESSION", {}),
        ("/api/v1/events/{slug}/sessions", {"day": "2030-01-01"}),
        ("/api/v1/events/{slug}/sessions", {"track": "no-such-track"}),
        ("/api/v1/events/{slug}/sessions", {"room": "no-such-room"}),
        ("/api/v1/no-such-endpoint", {}),
    ],
)
async def test_unknown_things_are_a_json_not_found(
    client: httpx.AsyncClient, demo_event: str, path: str, params: dict[str, str]
) -> None:
    response = await client.get(path.format(slug=demo_event), params=params)

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["status"] == 404
    assert isinstance(body["error"], str) and body["error"]


@pytest.mark.parametrize(
    "params",
    [{"day": "2021-13-45"}, {"day": "yesterday"}, {"kind": "keynote"}, {"q": "x" * 201}],
)
async def test_malformed_filters_are_a_json_bad_request(
    client: httpx.AsyncClient, demo_event: str, params: dict[str, str]
) -> None:
    response = await client.get(f"/api/v1/events/{demo_event}/sessions", params=params)

    assert response.status_code == 400
    assert response.json()["status"] == 400


@pytest.mark.parametrize(
    "query",
    ["day=%00", "q=%FF%FE", "day=2021-10-27T10:00", "track=%F0%9F%98%80", "room=" + "r" * 5000, "q=&day=&kind="],
)
async def test_odd_query_strings_never_cause_a_server_error(
    client: httpx.AsyncClient, demo_event: str, query: str
) -> None:
    response = await client.get(f"/api/v1/events/{demo_event}/sessions?{query}")

    assert response.status_code < 500
    assert response.headers["content-type"] == "application/json"


async def test_another_events_session_is_not_found(
    client: httpx.AsyncClient, database: Database, demo_event: str
) -> None:
    other_slug, other_code = await add_other_event(database)

    leaked = await client.get(f"/api/v1/events/{demo_event}/sessions/{other_code}")
    own = await client.get(f"/api/v1/events/{other_slug}/sessions/{other_code}")
    searched = await client.get(f"/api/v1/events/{demo_event}/sessions", params={"q": "Not in the demo"})

    assert leaked.status_code == 404
    assert own.status_code == 200
    assert own.json()["start"] == "2022-05-02T10:00:00+02:00"
    assert searched.json() == {"count": 0, "sessions": []}


@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
async def test_sessions_api_reads_the_same_on_every_backend(
    client: httpx.AsyncClient, demo_event: str, backend: str
) -> None:
    everything = await client.get(f"/api/v1/events/{demo_event}/sessions")
    day = await client.get(f"/api/v1/events/{demo_event}/sessions", params={"day": FIRST_DAY})
    speaker = await client.get(f"/api/v1/events/{demo_event}/sessions", params={"q": SPEAKER})
    missing = await client.get(f"/api/v1/events/{demo_event}/sessions", params={"track": "no-such-track"})

    assert everything.status_code == 200
    assert everything.json()["sessions"][0]["start"].endswith("+08:00")
    assert codes(day.json()) == FIRST_DAY_CODES
    assert codes(speaker.json()) == SPEAKER_CODES
    assert missing.status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/{slug}/schedule.json",
        "/{slug}/schedule.xml",
        "/{slug}/schedule.ics",
    ],
)
async def test_whole_programme_reads_take_a_fixed_number_of_queries(
    client: httpx.AsyncClient, demo_event: str, path: str
) -> None:
    with QueryCounter() as one_query:
        await client.get("/api/v1/events")

    with QueryCounter() as counted:
        response = await client.get(path.format(slug=demo_event))

    assert response.status_code == 200
    # The event, then rooms, tracks, kinds, materials, people, sessions and speakers: never one query per session.
    assert counted.count == one_query.count + 7


@pytest.mark.parametrize("path", ["/api/v1/events/{slug}/sessions", "/api/v1/events/{slug}/sessions/OPEN"])
async def test_api_documents_are_cached_until_the_event_changes(
    client: httpx.AsyncClient, demo_event: str, database: Database, path: str
) -> None:
    with QueryCounter() as one_query:
        await client.get("/api/v1/events")
    with QueryCounter() as miss:
        first = await client.get(path.format(slug=demo_event))
    with QueryCounter() as hit:
        second = await client.get(path.format(slug=demo_event))
    async with database.session() as db:
        event = (await db.exec(select(Event).where(Event.slug == demo_event))).one()
        opening = (await db.exec(select(Session).where(Session.event_id == event.id, Session.code == "OPEN"))).one()
        opening.title = "Opening, renamed"
        event.version += 1
        db.add_all([opening, event])
        await db.commit()
    changed = await client.get(path.format(slug=demo_event))

    # A miss reads the event's stamp, then the event and its programme, and the phase board (server/phases: two
    # statements in a session of its own); a hit reads the stamp alone.
    board = one_query.count + 1
    assert miss.count == one_query.count + 8 + board
    assert hit.count == 1
    assert second.json() == first.json()
    assert "Opening, renamed" in changed.text
    assert "Opening, renamed" not in first.text
