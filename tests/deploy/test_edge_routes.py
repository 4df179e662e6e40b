"""The shipped nginx site passes an edge relay's public address to that edge: a viewer the viewer pass sends to
``https://site/relay/edge1`` signals through nginx to the relay process behind ``podium_edge1``, watches, and
leaves at the resource address nginx hands back under the same public address."""

from __future__ import annotations

import asyncio
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from server.db import Database
from server.settings import Settings
from server.streams.tokens import publish_token, viewer_pass
from tests.deploy.topology import nginx_available
from tests.media.clients import publish, video_frames, wait_connected, watch
from tests.media.synthetic import PatternTrack
from tests.support import factories
from tests.support.deploy_config import render_nginx, render_site, self_signed_certificate
from tests.support.media import loopback_only
from tests.support.ports import free_port, wait_for_port
from tests.support.relay_process import RelayProcess, relay_status
from tests.support.requirements import require

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(autouse=True)
def loopback() -> Iterator[None]:
    with loopback_only():
        yield


async def test_a_viewer_sent_to_an_edge_watches_and_leaves_through_its_public_address(
    settings: Settings, database: Database, tmp_path: Path
) -> None:
    require("nginx", nginx_available())
    async with database.session() as db:
        _, session = await factories.other_event(db)
    key = str(session.id)
    edge = RelayProcess(settings.database_url, settings.secret_key, tmp_path / "edge1.log")
    certificate = self_signed_certificate(tmp_path)
    https_port = free_port()
    nowhere = f"127.0.0.1:{free_port()}"  # the other upstreams: nothing listens, so nothing else may answer
    site = render_site(
        tmp_path,
        certificate=certificate,
        http_port=free_port(),
        https_port=https_port,
        app_servers=[nowhere],
        relay_servers=[nowhere],
        upstreams={"podium_edge1": [f"127.0.0.1:{edge.port}"], "podium_edge2": [nowhere]},
    )
    nginx = subprocess.Popen(["nginx", "-c", str(render_nginx(tmp_path, site)), "-p", str(tmp_path)])
    edge.start()
    try:
        wait_for_port(https_port, nginx, "nginx")
        async with (
            httpx.AsyncClient(base_url=edge.url, timeout=20) as direct,
            httpx.AsyncClient(base_url=f"https://127.0.0.1:{https_port}", verify=str(certificate.cert)) as public,
        ):
            publisher = await publish(
                direct, f"/whip/{key}", publish_token(settings.secret_key, key, 0), PatternTrack()
            )
            await wait_connected(publisher.pc)
            watch_pass = viewer_pass(settings.secret_key, key, "delegate-3", expires_at=int(time.time()) + 600)

            viewer = await watch(public, f"/relay/edge1/whep/{key}", watch_pass)
            await wait_connected(viewer.pc)
            frames = await video_frames(viewer.tracks["video"], seconds=2)
            assert len(frames) >= 20
            assert (await relay_status(edge, key, settings.secret_key))["viewers"] == 1

            # The edge named its resource /whep/...; the viewer got it under the edge's public address.
            assert urlsplit(viewer.location).path.startswith(f"/relay/edge1/whep/{key}/")
            assert (await public.delete(viewer.location)).status_code == 200
            assert (await relay_status(edge, key, settings.secret_key))["viewers"] == 0
            await viewer.close()

            # The other edge's address reaches the other edge (here: down), never this one.
            other = await public.post(f"/relay/edge2/whep/{key}", content=b"v=0", headers={"Authorization": "x"})
            assert other.status_code == 502
            # Nothing of an edge but WHEP is public: its control endpoints are not under its address.
            status = await public.get(f"/relay/edge1/relay/status/{key}")
            assert status.status_code == 502  # the site's app (here: down), not the edge's answer
            await publisher.close()
    finally:
        await asyncio.to_thread(edge.kill)
        nginx.terminate()
        nginx.wait(timeout=10)
