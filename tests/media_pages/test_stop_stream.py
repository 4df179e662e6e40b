"""Organisers stop a stream from the console: the relay disconnects the publisher; nobody else may."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from realtime.live.asgi import create_asgi
from server.db import Database
from server.settings import Settings
from tests.media.clients import Peer, publish, wait_connected
from tests.media.synthetic import PatternTrack
from tests.support.http import ORIGIN, as_person, csrf
from tests.support.speaker_stage import Stage

pytestmark = pytest.mark.integration


@pytest.fixture
async def app(settings: Settings, database: Database) -> AsyncIterator[Any]:
    app = create_asgi(settings, database, deliver_mail=False, settle_gc=False)
    yield app
    await app.relay.close()


@pytest.fixture
async def client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=ORIGIN) as client:
        yield client


async def go_live(client: httpx.AsyncClient, stage: Stage) -> Peer:
    as_person(client, stage.people["moderator"])
    status = (await client.get(stage.path("stream/status"), headers={"Accept": "application/json"})).json()
    peer = await publish(client, status["whip_url"], status["publish_token"], PatternTrack())
    await wait_connected(peer.pc)
    return peer


async def test_an_organiser_stops_the_stream_and_the_publisher_is_disconnected(
    app: Any, client: httpx.AsyncClient, stage: Stage
) -> None:
    key = str(stage.session.id)
    publisher = await go_live(client, stage)
    assert app.relay.streams[key].publisher is not None

    as_person(client, stage.people["organiser"])
    console = await client.get(stage.path("moderate"))
    stopped = await client.post(stage.path("stream/stop"), data={"csrf_token": await csrf(client)})
    notice = await client.get(stopped.headers["location"])
    for _ in range(50):
        if publisher.pc.connectionState == "closed":
            break
        await asyncio.sleep(0.1)
    again = await client.post(stage.path("stream/stop"), data={"csrf_token": await csrf(client)})
    nothing = await client.get(again.headers["location"])

    assert "Stop the stream" in console.text
    assert stopped.status_code == 303
    assert key not in app.relay.streams or app.relay.streams[key].publisher is None
    assert publisher.pc.connectionState == "closed"
    assert "The stream was stopped: its publisher is disconnected." in notice.text
    assert "Nobody is publishing to this session." in nothing.text
    await publisher.close()


@pytest.mark.parametrize("who", ["moderator", "speaker", "delegate", "other_moderator", None])
async def test_only_the_events_organisers_stop_a_stream(
    app: Any, client: httpx.AsyncClient, stage: Stage, who: str | None
) -> None:
    key = str(stage.session.id)
    publisher = await go_live(client, stage)
    as_person(client, stage.people[who] if who else None)

    console = await client.get(stage.path("moderate"))
    refused = await client.post(stage.path("stream/stop"), data={"csrf_token": await csrf(client)})

    assert refused.status_code == 404
    assert "Stop the stream" not in console.text
    assert app.relay.streams[key].publisher is not None
    await publisher.close()


async def test_stopping_without_the_csrf_token_changes_nothing(
    app: Any, client: httpx.AsyncClient, stage: Stage
) -> None:
    key = str(stage.session.id)
    publisher = await go_live(client, stage)
    as_person(client, stage.people["organiser"])
    await csrf(client)

    refused = await client.post(stage.path("stream/stop"), data={})

    assert refused.status_code == 403
    assert app.relay.streams[key].publisher is not None
    await publisher.close()
