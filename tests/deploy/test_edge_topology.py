"""The relays of deploy/docker-compose.yml behind the shipped nginx site, on this machine: an origin and two
``podium relay --edge`` processes with the names and public addresses the compose file gives them. The encoder
publishes through nginx; each viewer goes where the relay registry places it and signals through nginx at that
relay's public address (the site's /whep/ for the origin, /relay/edgeN/whep/ for an edge); all decode the stream,
and each leaves at the resource address nginx hands back, on the same relay."""

from __future__ import annotations

import asyncio
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import yaml

from server.clock import utcnow
from server.db import Database
from server.relays.services import busy, fresh_relays, origin_of, place_viewer
from server.settings import Settings
from server.streams.tokens import publish_token, viewer_pass
from tests.deploy.topology import nginx_available
from tests.media.clients import Peer, publish, video_frames, wait_connected, watch
from tests.media.synthetic import PatternTrack, ToneTrack
from tests.support import factories
from tests.support.deploy_config import DEPLOY, render_nginx, render_site, self_signed_certificate
from tests.support.media import loopback_only
from tests.support.ports import free_port, wait_for_port
from tests.support.relay_process import RelayProcess, relay_status
from tests.support.requirements import require

pytestmark = [pytest.mark.integration, pytest.mark.slow]

DEAD_AFTER = 6.0
RELAYS = ("origin", "edge1", "edge2")


@pytest.fixture(autouse=True)
def loopback() -> Iterator[None]:
    with loopback_only():
        yield


def compose_relay(name: str) -> dict[str, Any]:
    service: dict[str, Any] = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text(encoding="utf-8"))["services"][
        name
    ]
    return service


async def test_viewers_placed_on_the_compose_relays_watch_and_leave_through_nginx(
    settings: Settings, database: Database, tmp_path: Path
) -> None:
    require("nginx", nginx_available())
    async with database.session() as db:
        _, session = await factories.other_event(db)
    key, secret = str(session.id), settings.secret_key
    relays = {}
    for name in RELAYS:
        service = compose_relay(name)
        relay = RelayProcess(
            settings.database_url, secret, tmp_path / f"{name}.log", edge="--edge" in service["command"]
        )
        # As compose starts it, with this machine's port for the one in its internal address.
        relay.environment.update({variable: str(value) for variable, value in service["environment"].items()})
        relay.environment["PODIUM_RELAY_INTERNAL_URL"] = relay.url
        relay.environment["PODIUM_RELAY_HEARTBEAT"] = "0.5"
        # Not what this test is about, and on a loaded machine the origin's H.264 encode can report it busy, which
        # would rightly send the viewers elsewhere: one viewer per relay needs three relays that look idle.
        relay.environment.update(PODIUM_RELAY_HLS="0", PODIUM_RELAY_RECORD="0")
        relays[name] = relay
    certificate = self_signed_certificate(tmp_path)
    https_port = free_port()
    nowhere = f"127.0.0.1:{free_port()}"  # the app processes: nothing listens, so nothing else may answer
    site = render_site(
        tmp_path,
        certificate=certificate,
        http_port=free_port(),
        https_port=https_port,
        app_servers=[nowhere],
        relay_servers=[f"127.0.0.1:{relays['origin'].port}"],
        upstreams={f"podium_{name}": [f"127.0.0.1:{relays[name].port}"] for name in ("edge1", "edge2")},
    )
    nginx = subprocess.Popen(["nginx", "-c", str(render_nginx(tmp_path, site)), "-p", str(tmp_path)])
    viewers: list[tuple[str, Peer]] = []
    try:
        for relay in relays.values():  # one after the other: on a busy machine three at once may take too long
            await asyncio.to_thread(relay.start)
        wait_for_port(https_port, nginx, "nginx")
        async with httpx.AsyncClient(
            base_url=f"https://127.0.0.1:{https_port}", verify=str(certificate.cert), timeout=20
        ) as public:
            publisher = await publish(
                public, f"/whip/{key}", publish_token(secret, key, 0), PatternTrack(), ToneTrack(440)
            )
            await wait_connected(publisher.pc)
            async with asyncio.timeout(10):
                while True:
                    async with database.session() as db:
                        now = utcnow()
                        fresh = await fresh_relays(db, now=now, dead_after=DEAD_AFTER)
                        # A process just started may still report its start-up as load.
                        idle = {relay.name for relay in fresh if not busy(relay)}
                        if set(RELAYS) <= idle and await origin_of(db, key, now=now, dead_after=DEAD_AFTER):
                            break
                    await asyncio.sleep(0.1)

            # Viewers as the registry places them, until each relay has one (at most six: placement spreads by
            # load, tested on its own in tests/relays; here each relay's address through nginx is the point).
            placements = []
            for number in range(6):
                async with database.session() as db:
                    placed = await place_viewer(db, key, now=utcnow(), dead_after=DEAD_AFTER)
                    loads = {
                        r.name: (r.viewers, r.cpu_percent)
                        for r in await fresh_relays(db, now=utcnow(), dead_after=DEAD_AFTER)
                    }
                assert placed is not None
                relay = placed.relay
                placements.append((relay.name, loads))
                token = viewer_pass(secret, key, f"delegate-{number}", expires_at=int(time.time()) + 600)
                peer = await watch(public, f"{relay.public_url}/whep/{key}", token)
                await wait_connected(peer.pc)
                viewers.append((relay.name, peer))
                if {name for name, _ in viewers} == set(RELAYS):
                    break

            assert {name for name, _ in viewers} == set(RELAYS), placements
            decoded = await asyncio.gather(*(video_frames(peer.tracks["video"], seconds=2) for _, peer in viewers))
            assert all(len(frames) >= 20 for frames in decoded), [len(frames) for frames in decoded]
            for name, _ in viewers:
                assert (await relay_status(relays[name], key, secret))["viewers"] >= 1

            # Each leaves at the address nginx handed back: under its relay's public address, reaching that relay.
            for name, peer in viewers:
                public_path = str(compose_relay(name)["environment"]["PODIUM_RELAY_PUBLIC_URL"])
                assert urlsplit(peer.location).path.startswith(f"{public_path}/whep/{key}/")
                assert (await public.delete(peer.location)).status_code == 200
            for name in ("edge1", "edge2"):
                assert (await relay_status(relays[name], key, secret))["viewers"] == 0

            # Nothing of an edge but WHEP is public: its control endpoints are not under its address.
            status = await public.get(f"/relay/edge1/relay/status/{key}")
            assert status.status_code == 502  # the site's app (here: down) answers that path, not the edge
            await publisher.close()
    finally:
        for _, peer in viewers:
            await peer.close()
        for relay in relays.values():
            await asyncio.to_thread(relay.kill)
        nginx.terminate()
        nginx.wait(timeout=10)
