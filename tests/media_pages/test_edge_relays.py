"""One origin and two edge ``podium relay --edge`` processes sharing the relay registry: viewers spread over the
three decode the same stream, the origin counts each edge as one viewer however many it serves, and the viewers of
an edge killed mid-stream, asking the room page's viewer pass again, decode frames from another relay within 10 seconds."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from server.clock import utcnow
from server.db import Database
from server.relays.models import RelayNode
from server.relays.services import fresh_relays, origin_of
from server.settings import Settings
from server.streams.tokens import publish_token, viewer_pass
from tests.media.clients import Peer, SignallingFailed, publish, video_frames, wait_connected, watch
from tests.media.synthetic import PatternTrack, ToneTrack
from tests.support.edge_relays import decoded
from tests.support.http import as_person
from tests.support.relay_process import RelayProcess, relay_status
from tests.support.speaker_stage import Stage

pytestmark = [pytest.mark.integration, pytest.mark.slow]

DEAD_AFTER = 3.0
JSON = {"Accept": "application/json"}
NAMES = ("origin", "edge1", "edge2")


async def wait_for(condition: Callable[[], object], timeout: float = 15.0) -> None:
    async with asyncio.timeout(timeout):
        while not await condition():  # type: ignore[misc]
            await asyncio.sleep(0.1)


async def picture_stops(viewer: Peer, *, gap: float) -> None:
    """Return once the viewer's video has had no frame for ``gap`` seconds (frames already on their way play)."""
    async with asyncio.timeout(10):
        while await video_frames(viewer.tracks["video"], seconds=gap):
            pass


async def viewer_at(relay: RelayProcess | RelayNode, key: str, account: str, secret: str) -> Peer:
    url = relay.url if isinstance(relay, RelayProcess) else relay.internal_url
    token = viewer_pass(secret, key, account, expires_at=int(time.time()) + 300)
    async with httpx.AsyncClient(base_url=url, timeout=20) as client:
        peer = await watch(client, f"/whep/{key}", token)
    await wait_connected(peer.pc)
    return peer


async def test_viewers_spread_over_an_origin_and_two_edges_and_a_killed_edges_viewers_watch_again(
    settings: Settings, database: Database, stage: Stage, web: httpx.AsyncClient, tmp_path: Path
) -> None:
    key, secret = str(stage.session.id), settings.secret_key
    as_person(web, stage.people["delegate"])
    relays = {
        name: RelayProcess(
            settings.database_url,
            secret,
            tmp_path / f"{name}.log",
            edge=name != "origin",
            environment={
                "PODIUM_RELAY_NAME": name,
                "PODIUM_RELAY_HEARTBEAT": "0.5",
                "PODIUM_RELAY_DEAD_AFTER": str(DEAD_AFTER),
                "PODIUM_RELAY_RECORD": "0",
                "PODIUM_RELAY_PUBLIC_URL": "",  # set below, once the port is known
            },
        )
        for name in NAMES
    }
    for relay in relays.values():
        relay.environment["PODIUM_RELAY_PUBLIC_URL"] = relay.url  # where the viewer pass sends a browser
        relay.start()
    viewers: list[Peer] = []
    try:
        async with httpx.AsyncClient(base_url=relays["origin"].url, timeout=20) as to_origin:
            publisher = await publish(
                to_origin, f"/whip/{key}", publish_token(secret, key, 0), PatternTrack(), ToneTrack(440)
            )
            await wait_connected(publisher.pc)

        async def origin_registered() -> bool:
            async with database.session() as db:
                origin = await origin_of(db, key, now=utcnow(), dead_after=DEAD_AFTER)
                return origin is not None and len(await fresh_relays(db, now=utcnow(), dead_after=DEAD_AFTER)) == 3

        await wait_for(origin_registered)
        # One viewer on the origin, two on the first edge, three on the second.
        placed = ["origin", "edge1", "edge1", "edge2", "edge2", "edge2"]
        viewers = [await viewer_at(relays[name], key, f"a{n}", secret) for n, name in enumerate(placed)]
        seen = await asyncio.gather(*(decoded(viewer, 10) for viewer in viewers))

        assert seen == [(10, (640, 360))] * 6
        at_origin = await relay_status(relays["origin"], key, secret)
        assert (at_origin["viewers"], at_origin["edge"]) == (3, 2)  # its own viewer and one per edge
        assert [(await relay_status(relays[e], key, secret))["viewers"] for e in ("edge1", "edge2")] == [2, 3]

        joined = await web.get(stage.path("stream/pass"), headers=JSON)  # the players asked one when they joined
        assert joined.status_code == 200, joined.text
        relays["edge1"].kill()
        killed_at = time.monotonic()
        orphans = viewers[1:3]

        # Each orphan is the room page's player: no picture for a second and a half, so it asks a new pass,
        # passing over the relay it lost, and watches where the pass sends it.
        async def watch_again(orphan: Peer) -> tuple[str, float]:
            await picture_stops(orphan, gap=1.5)
            await orphan.close()
            answer = await web.get(stage.path("stream/pass"), params={"avoid": "edge1"}, headers=JSON)
            assert answer.status_code == 200, answer.text
            given = answer.json()
            async with httpx.AsyncClient(timeout=20) as client:
                peer = await watch(client, given["url"], given["token"])
            viewers.append(peer)
            async with asyncio.timeout(8):
                await peer.tracks["video"].recv()
            return given["relay"], time.monotonic() - killed_at

        again = await asyncio.gather(*(watch_again(orphan) for orphan in orphans))

        assert [name in ("origin", "edge2") for name, _ in again] == [True, True]
        assert [after < 10 for _, after in again] == [True, True], again

        # A session nobody publishes: the edge's viewer is refused with a reason, and the organiser reads why.
        with pytest.raises(SignallingFailed) as refused:
            await viewer_at(relays["edge2"], "999999", "c1", secret)

        async def edge_says_why() -> bool:
            async with database.session() as db:
                rows = await fresh_relays(db, now=utcnow(), dead_after=DEAD_AFTER)
            return any(row.name == "edge2" and row.message == "no relay ingests stream 999999 now" for row in rows)

        assert refused.value.response.status_code == 503
        await wait_for(edge_says_why, timeout=5)
        await publisher.close()
    finally:
        for viewer in viewers:
            await viewer.close()
        for relay in relays.values():
            relay.kill()
