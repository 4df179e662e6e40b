"""An organiser's "don't record this session" (SessionArchive.record) reaches the relay from the app's database within
seconds: the relay writes nothing, says "off", and records again once it is turned back on."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
import uvicorn
from lxml import html as lxml_html
from sqlmodel import select
from starlette.applications import Starlette

from realtime.media.app import create_relay_app
from realtime.media.config import RelaySettings
from realtime.media.recorder import SWITCH_CACHE_SECONDS
from realtime.media.relay import Relay
from realtime.media.status import StreamStatus, stream_status
from server.agenda.models import Session
from server.app import create_app
from server.archive.models import SessionArchive
from server.db import Database
from server.events.models import Event
from server.settings import Settings
from server.streams.recording_files import read_status, recording_dir, segments
from server.streams.tokens import publish_token
from tests.media.clients import publish, wait_connected
from tests.media.synthetic import PatternTrack, ToneTrack
from tests.support import factories
from tests.support.http import ORIGIN, as_person
from tests.support.media import loopback_only, wait_for
from tests.support.ports import free_port
from tests.support.speaker_stage import Stage

pytestmark = pytest.mark.integration


@pytest.fixture
async def scene(database: Database) -> tuple[Event, Session]:
    async with database.session() as db:
        return await factories.other_event(db)


@pytest.fixture
async def relay_client(
    settings: Settings, database: Database, tmp_path: Path
) -> AsyncIterator[tuple[Relay, httpx.AsyncClient]]:
    relay_settings = RelaySettings(
        secret_key=settings.secret_key,
        host_addresses=("127.0.0.1",),
        connect_timeout=10,
        media_dir=tmp_path / "media",
        record=True,
    )
    app: Starlette = create_relay_app(relay_settings, database=database)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    with loopback_only():
        serving = asyncio.create_task(server.serve())
        async with asyncio.timeout(10):
            while not server.started:
                await asyncio.sleep(0.02)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=20) as client:
            yield app.state.media.relay, client
        await app.state.media.relay.close()
        server.should_exit = True
        await serving


async def set_record(database: Database, session: Session, *, record: bool) -> None:
    async with database.session() as db:
        row = (await db.exec(select(SessionArchive).where(SessionArchive.session_id == session.id))).first()
        if row is None:
            row = SessionArchive(session_id=session.id or 0, event_id=session.event_id)
        row.record = record
        db.add(row)
        await db.commit()


@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
async def test_recording_off_writes_nothing_and_on_again_records_within_seconds(
    relay_client: tuple[Relay, httpx.AsyncClient], scene: tuple[Event, Session], settings: Settings, database: Database
) -> None:
    relay, client = relay_client
    _, session = scene
    key = str(session.id)
    await set_record(database, session, record=False)
    folder = recording_dir(relay.settings.media_dir, key)

    publisher = await publish(
        client, f"/whip/{key}", publish_token(settings.secret_key, key, 0), PatternTrack(), ToneTrack(440)
    )
    await wait_connected(publisher.pc)
    await asyncio.sleep(4)

    assert segments(folder) == []
    assert stream_status(relay, key).recording == "off"
    assert (read_status(folder) or {}).get("state") == "off"

    await set_record(database, session, record=True)
    turned_on = time.monotonic()
    await wait_for(lambda: bool(segments(folder)), timeout=SWITCH_CACHE_SECONDS + 5)
    assert time.monotonic() - turned_on < SWITCH_CACHE_SECONDS + 3
    assert stream_status(relay, key).recording == "recording"
    assert (read_status(folder) or {}).get("state") == "recording"
    await publisher.close()


class StatusesRelay:
    """The status call of a relay held by this process, answering one stream's status."""

    def __init__(self, status: StreamStatus) -> None:
        self.status_of = status

    async def status(self, session_key: str) -> dict[str, object]:
        return replace(self.status_of, session_key=session_key).as_json()


async def test_the_console_shows_the_relays_recording_and_why_it_stopped(
    settings: Settings, database: Database, stage: Stage
) -> None:
    app = create_app(settings, database, deliver_mail=False)
    full = StreamStatus(
        "x", True, 2, 500_000, "connected", 30.0, "forward", 640, 360, 900, 0, 8, 0, 0,
        recording="disk_full", recording_bytes=5_300_000, recording_message="the disk is full",
    )  # fmt: skip
    app.state.services.relay_control = StatusesRelay(full)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=ORIGIN) as client:
        moderator = as_person(client, stage.people["moderator"])
        status = (await moderator.get(stage.path("stream/status"))).json()
        console = await moderator.get(stage.path("moderate"))

    assert status["live"] is True
    assert status["relay_recording"] == {"state": "disk_full", "bytes": 5_300_000, "message": "the disk is full"}
    row = lxml_html.fromstring(console.text).xpath('//*[@data-stream="recorded-row"]')[0]
    assert row.get("data-text-disk-full") == "Disk full: the recording stopped, the stream goes on"
    assert "{size}" in row.get("data-text-recording")
