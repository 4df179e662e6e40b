"""The replay through the shipped nginx site (deploy/nginx/podium.conf): the app answers with X-Accel-Redirect and
nginx sends the file with ranges; the internal location itself is closed to browsers."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from server.app import create_app
from server.db import Database
from server.settings import Settings
from server.transport.auth import SESSION_COOKIE
from tests.deploy.topology import Processes, nginx_available, process_environment, wait_for_port
from tests.support.deploy_config import render_nginx, render_site, self_signed_certificate
from tests.support.ports import free_port
from tests.support.replay_segments import made_replay, replay_bytes
from tests.support.requirements import require
from tests.support.servers import ThreadedServer
from tests.support.speaker_stage import Stage

pytestmark = [pytest.mark.integration, pytest.mark.slow]
SHIPPED_MEDIA_DIR = "/var/lib/podium/media/"


@pytest.fixture
def nginx_site(settings: Settings, tmp_path: Path) -> Iterator[str]:
    """nginx's HTTPS address, in front of one app process with ``PODIUM_ACCEL_REDIRECT`` as shipped."""
    require("nginx", nginx_available())
    app = ThreadedServer(create_app(replace(settings, accel_redirect="/internal/replays/"), deliver_mail=False))
    app.start()
    https_port, http_port = free_port(), free_port()
    site = render_site(
        tmp_path,
        certificate=self_signed_certificate(tmp_path),
        http_port=http_port,
        https_port=https_port,
        app_servers=[f"127.0.0.1:{app.port}"],
    )
    assert f"alias {SHIPPED_MEDIA_DIR}replays/;" in site  # the one folder moved below, with HLS's beside it
    processes = Processes(tmp_path)
    try:
        nginx = processes.start(
            "nginx",
            ["nginx", "-c", str(render_nginx(tmp_path, site.replace(SHIPPED_MEDIA_DIR, f"{settings.media_dir}/")))],
            process_environment({}),
        )
        wait_for_port(https_port, nginx, tmp_path / "nginx.log")
        yield f"https://127.0.0.1:{https_port}"
    finally:
        processes.stop()
        app.stop()


async def test_nginx_sends_the_replay_with_ranges_for_those_the_app_allows(
    database: Database, settings: Settings, stage: Stage, nginx_site: str
) -> None:
    replay = await made_replay(database, settings, stage)
    data = replay_bytes(settings, replay)
    size = len(data)
    url = nginx_site + stage.path("replay.webm")

    async with httpx.AsyncClient(verify=False) as browser:
        browser.cookies.set(SESSION_COOKIE, stage.people["delegate"].token)
        whole = await browser.get(url)
        middle = await browser.get(url, headers={"Range": "bytes=1000-1999"})
        outside = await browser.get(url, headers={"Range": f"bytes={size}-"})
        browser.cookies.clear()
        anonymous = await browser.get(url)
        internal = await browser.get(f"{nginx_site}/internal/replays/{replay.stored_name}")

    assert (whole.status_code, whole.content) == (200, data)
    assert whole.headers["content-type"] == "video/webm"
    assert whole.headers["accept-ranges"] == "bytes"
    assert whole.headers["cache-control"] == "private, no-cache"
    assert "x-accel-redirect" not in whole.headers
    assert (middle.status_code, middle.content) == (206, data[1000:2000])
    assert middle.headers["content-range"] == f"bytes 1000-1999/{size}"
    assert outside.status_code == 416
    assert outside.headers["content-range"] == f"bytes */{size}"
    assert anonymous.status_code == 404
    assert internal.status_code == 404
