"""/healthz, /readyz and /metrics on the real app, and the request id every HTTP request carries."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import httpx
import pytest

from server.app import create_app
from server.db import Database
from server.live.models import Question, QuestionVote
from server.ops import metrics
from server.ops.logging import JsonFormatter, current_request_id
from server.registration.models import Attendance
from server.settings import Settings
from tests.support import factories
from tests.support.ports import free_port, port_open
from tests.support.requirements import require

pytestmark = pytest.mark.integration
REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
async def web(settings: Settings, database: Database) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, database, deliver_mail=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://podium.test") as client:
        yield client


async def test_healthz_answers_ok(web):
    response = await web.get("/healthz")
    assert (response.status_code, response.text) == (200, "ok")


async def test_readyz_ready_with_database(web):
    response = await web.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "checks": {"database": "ok"}}


async def test_readyz_checks_redis_when_set(database_url):
    require("Redis", port_open("127.0.0.1", 6379))
    settings = Settings.from_env(
        {"PODIUM_ENV": "test", "PODIUM_DATABASE_URL": database_url, "PODIUM_REDIS_URL": REDIS_URL}
    )
    database = Database(settings.database_url)
    app = create_app(settings, database, deliver_mail=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://podium.test") as client:
        response = await client.get("/readyz")
    await database.dispose()
    assert response.json() == {"status": "ready", "checks": {"database": "ok", "redis": "ok"}}


async def test_readyz_503_when_database_unreachable():
    closed = free_port()
    settings = Settings.from_env(
        {
            "PODIUM_ENV": "test",
            "PODIUM_DATABASE_URL": f"postgresql://podium@127.0.0.1:{closed}/podium",
            "PODIUM_REDIS_URL": f"redis://127.0.0.1:{closed}/0",
        }
    )
    database = Database(settings.database_url)
    app = create_app(settings, database, deliver_mail=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://podium.test") as client:
        response = await client.get("/readyz")
    await database.dispose()

    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "checks": {"database": "unavailable", "redis": "unavailable"}}
    assert response.headers["cache-control"] == "no-store"


async def test_metrics_exposition_counts_the_database(web, database, demo_event):
    async with database.session() as db:
        event = await factories.event_by_slug(db, demo_event)
        session = (await factories.sessions_of(db, event))[1]
        online = await factories.person(db, event, "Online Delegate", attendance=Attendance.online)
        await factories.person(db, event, "Onsite Delegate", attendance=Attendance.onsite)
        question = Question(
            event_id=event.id or 0,
            session_id=session.id or 0,
            author_key=online.key,
            origin=Attendance.online,
            text="Metrics?",
            client_id="q-1",
        )
        db.add(question)
        await db.flush()
        db.add(QuestionVote(question_id=question.id or 0, voter_key=online.key, session_id=session.id or 0))
        await db.commit()
    metrics.question_asked()

    response = await web.get("/metrics")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    lines = set(response.text.splitlines())
    slug = f'event="{demo_event}"'
    assert f'podium_registrations{{attendance="online",{slug},status="confirmed"}} 1.0' in lines
    assert f'podium_registrations{{attendance="onsite",{slug},status="confirmed"}} 1.0' in lines
    assert f'podium_questions{{{slug},status="pending"}} 1.0' in lines
    assert f"podium_question_votes{{{slug}}} 1.0" in lines
    assert "podium_database_up 1.0" in lines
    for name in (
        "# TYPE podium_questions_asked_total counter",
        "# TYPE podium_question_votes_cast_total counter",
        "# TYPE podium_registrations_created_total counter",
        "# TYPE podium_http_requests_total counter",
        "# TYPE podium_http_request_duration_seconds histogram",
        "# TYPE process_cpu_seconds_total counter",
    ):
        assert name in lines


async def test_metrics_database_down_is_a_gauge_not_an_error():
    settings = Settings.from_env(
        {"PODIUM_ENV": "test", "PODIUM_DATABASE_URL": f"postgresql://p@127.0.0.1:{free_port()}/p"}
    )
    database = Database(settings.database_url)
    app = create_app(settings, database, deliver_mail=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://podium.test") as client:
        response = await client.get("/metrics")
    await database.dispose()
    assert response.status_code == 200
    assert "podium_database_up 0.0" in response.text.splitlines()


@dataclass
class Connection:
    rooms: dict[int, object] = field(default_factory=dict)


@dataclass
class Live:
    connections: dict[str, Connection]


@dataclass(frozen=True)
class Stream:
    session_key: str
    live: bool
    viewers: int
    bitrate: int


@pytest.mark.unit
async def test_metrics_live_rooms_and_relay_from_state():
    live = Live({"a": Connection({7: None, 9: None}), "b": Connection({7: None}), "c": Connection()})
    streams = [Stream("7", True, 12, 640_000), Stream("9", False, 0, 0)]

    text = (await metrics.exposition(live=live, stream_statuses=lambda: streams)).decode()

    lines = set(text.splitlines())
    assert {
        "podium_live_connections 3.0",
        'podium_live_room_clients{session="7"} 2.0',
        'podium_live_room_clients{session="9"} 1.0',
        'podium_relay_viewers{session="7"} 12.0',
        'podium_relay_bitrate_bits_per_second{session="7"} 640000.0',
        'podium_relay_stream_live{session="7"} 1.0',
        'podium_relay_stream_live{session="9"} 0.0',
        "podium_relay_viewers_total 12.0",
    } <= lines


@pytest.mark.unit
def test_metrics_relay_reads_the_relays_own_status():
    from dataclasses import fields

    from realtime.media.status import StreamStatus

    values = {f.name: None for f in fields(StreamStatus)}
    status = StreamStatus(**{**values, "session_key": "5", "live": True, "viewers": 3, "bitrate": 500_000})
    families = metrics.relay_families([status])
    assert [family.samples[0].value for family in families] == [3, 500_000, 1, 3]


async def test_request_id_is_made_returned_and_logged(web, caplog):
    caplog.set_level(logging.INFO, logger="podium.access")

    made = await web.get("/healthz")
    given = await web.get("/healthz", headers={"X-Request-ID": "edge-1234abcd"})
    refused = await web.get("/healthz", headers={"X-Request-ID": "no spaces, no <html>"})
    await web.get("/signin/secret-token-value")

    assert len(made.headers["x-request-id"]) == 32
    assert given.headers["x-request-id"] == "edge-1234abcd"
    assert len(refused.headers["x-request-id"]) == 32
    records = [record for record in caplog.records if record.name == "podium.access"]
    assert [record.getMessage() for record in records] == [
        "GET /healthz 200",
        "GET /healthz 200",
        "GET /healthz 200",
        "GET /signin/… 200",
    ]
    assert current_request_id() is None


@pytest.mark.unit
def test_json_formatter_carries_request_id_and_extras():
    from server.ops.logging import request_id

    record = logging.makeLogRecord({"name": "podium.test", "levelname": "INFO", "msg": "seat %s", "args": ("7",)})
    record.duration_ms = 1.5
    token = request_id.set("abc12345")
    try:
        entry = json.loads(JsonFormatter().format(record))
    finally:
        request_id.reset(token)

    assert entry["message"] == "seat 7"
    assert (entry["level"], entry["logger"], entry["request_id"], entry["duration_ms"]) == (
        "info",
        "podium.test",
        "abc12345",
        1.5,
    )
