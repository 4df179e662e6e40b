"""Restream end to end: an aiortc publisher goes live on a relay that has the app's database; the relay pushes the
session's H.264/AAC rendition over RTMP to a local nginx with the RTMP module, where PyAV reads it and decodes
pictures and sound; nginx stopped and started again → the push reconnects by itself; a target whose key nginx
refuses shows ``refused`` with a message, and one that never answers is given up on and retried, while the good one
goes on. The organiser reads it all in the database
rows the console shows (state, bitrate, message) and in the relay's status."""

from __future__ import annotations

import asyncio
import inspect
import socket
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import av
import httpx
import pytest
import uvicorn
from sqlmodel import select

from realtime.media.app import create_relay_app
from realtime.media.config import RelaySettings
from realtime.media.policy import signed_policy
from realtime.media.relay import Relay
from realtime.media.status import stream_status
from server.db import Database
from server.restreams.keys import encrypt_key
from server.restreams.models import RestreamTarget
from server.streams.tokens import PublishTokens
from tests.media.clients import publish, wait_connected
from tests.media.synthetic import PatternTrack, ToneTrack
from tests.support.factories import other_event
from tests.support.media import SECRET, loopback_only
from tests.support.ports import free_port
from tests.support.rtmp_server import RtmpServer

pytestmark = [pytest.mark.integration, pytest.mark.slow]

GOOD_KEY = "good-stream-key-0001"
WRONG_KEY = "wrong-stream-key-0002"


@pytest.fixture(autouse=True)
def loopback() -> Iterator[None]:
    with loopback_only():
        yield


@pytest.fixture
def rtmp(tmp_path: Path) -> Iterator[RtmpServer]:
    server = RtmpServer(tmp_path / "nginx", keys={GOOD_KEY})
    server.start()
    yield server
    server.close()


async def _serve(app) -> tuple[uvicorn.Server, asyncio.Task[None], str]:
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    serving = asyncio.create_task(server.serve())
    async with asyncio.timeout(10):
        while not server.started:
            await asyncio.sleep(0.02)
    return server, serving, f"http://127.0.0.1:{port}"


async def _wait(condition: Callable[[], object], what: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if await result if inspect.isawaitable(result) else result:
            return
        await asyncio.sleep(0.25)
    raise AssertionError(f"not within {timeout} s: {what}")


def _read(url: str, *, frames: int = 15) -> tuple[list[tuple[int, int]], int]:
    """What a platform's player gets: decoded pictures (their sizes) and decoded sound frames."""
    sizes, sounds = [], 0
    with av.open(url, options={"rw_timeout": "10000000"}) as container:
        for packet in container.demux():
            for decoded in packet.decode():
                if isinstance(decoded, av.VideoFrame):
                    sizes.append((decoded.width, decoded.height))
                else:
                    sounds += 1
            if len(sizes) >= frames and sounds >= 10:
                break
    return sizes, sounds


@pytest.fixture
def silent() -> Iterator[socket.socket]:
    """A host that takes connections and never answers the RTMP handshake."""
    listening = socket.create_server(("127.0.0.1", 0))
    yield listening
    listening.close()


@pytest.fixture
async def relay_site(database_url: str, tmp_path: Path) -> AsyncIterator[tuple[Relay, Database, int, int, str]]:
    database = Database(database_url)
    settings = RelaySettings(
        secret_key=SECRET,
        host_addresses=("127.0.0.1",),
        connect_timeout=10.0,
        signalling_per_ip_per_minute=1000,
        media_dir=tmp_path / "media",
    )
    app = create_relay_app(settings, policy=signed_policy(SECRET, PublishTokens(SECRET)), database=database)
    relay: Relay = app.state.media.relay
    assert relay.restreams is not None
    relay.restreams.poll_seconds = 0.5
    relay.restreams.connect_timeout = 4.0
    async with database.session() as db:
        event, session = await other_event(db)
    server, serving, url = await _serve(app)
    yield relay, database, event.id or 0, session.id or 0, url
    await relay.close()
    server.should_exit = True
    await serving
    await database.dispose()


async def _targets(database: Database) -> dict[str, RestreamTarget]:
    async with database.session() as db:
        return {row.label: row for row in (await db.exec(select(RestreamTarget))).all()}


async def test_a_live_session_is_pushed_over_rtmp_reconnects_when_the_target_returns_and_a_wrong_key_is_refused(
    relay_site, rtmp: RtmpServer, silent: socket.socket
) -> None:
    relay, database, event_id, session_id, relay_url = relay_site
    key = str(session_id)
    targets = (
        ("Platform", rtmp.url, GOOD_KEY),
        ("Wrong key", rtmp.url, WRONG_KEY),
        ("Silent", f"rtmp://127.0.0.1:{silent.getsockname()[1]}/live", GOOD_KEY),
    )
    async with database.session() as db:
        for label, url, stream_key in targets:
            db.add(
                RestreamTarget(
                    event_id=event_id,
                    session_id=session_id,
                    label=label,
                    url=url,
                    key_encrypted=encrypt_key(SECRET, stream_key),
                )
            )
        await db.commit()

    async with httpx.AsyncClient(base_url=relay_url, timeout=20) as client:
        publisher = await publish(
            client, f"/whip/{key}", PublishTokens(SECRET).token(key), PatternTrack(), ToneTrack(440)
        )
    await wait_connected(publisher.pc)

    async def state_is(label: str, state: str) -> bool:
        return (await _targets(database))[label].state == state

    await _wait(lambda: state_is("Platform", "live"), "the good target live", 30)
    await _wait(lambda: state_is("Wrong key", "refused"), "the wrong key refused", 10)
    sizes, sounds = await asyncio.to_thread(_read, f"{rtmp.url}/{GOOD_KEY}")

    assert set(sizes) == {(640, 360)} and len(sizes) >= 15
    assert sounds >= 10
    assert rtmp.refused[0] == WRONG_KEY
    await _wait(lambda: _bitrate_above(database, "Platform", 100_000), "a bitrate reported", 10)
    refused = (await _targets(database))["Wrong key"]
    assert refused.message.startswith("the target refused the stream key")
    assert WRONG_KEY not in refused.message

    async def given_up(label: str) -> bool:
        target = (await _targets(database))[label]
        return (target.state, target.message) == ("retrying", "the target did not answer")

    await _wait(lambda: given_up("Silent"), "the silent target given up on and retried", 15)
    pushes = {push["label"]: push["state"] for push in stream_status(relay, key).restreams}
    assert pushes["Platform"] == "live" and pushes["Wrong key"] == "refused"

    # The platform's ingest goes away and comes back: the push reconnects by itself.
    rtmp.stop()
    await _wait(lambda: state_is("Platform", "retrying"), "the dropped target retrying", 10)
    rtmp.start()
    await _wait(lambda: state_is("Platform", "live"), "the target live again", 30)
    sizes, sounds = await asyncio.to_thread(_read, f"{rtmp.url}/{GOOD_KEY}")
    assert len(sizes) >= 15 and sounds >= 10

    # Turned off by the organiser (a save bumps the version): the relay stops pushing, the row says off.
    async with database.session() as db:
        target = (await db.exec(select(RestreamTarget).where(RestreamTarget.label == "Platform"))).one()
        target.enabled, target.version = False, target.version + 1
        db.add(target)
        await db.commit()
    await _wait(lambda: state_is("Platform", "off"), "the target off", 10)
    await publisher.close()


async def _bitrate_above(database: Database, label: str, bits: int) -> bool:
    return (await _targets(database))[label].bitrate > bits
