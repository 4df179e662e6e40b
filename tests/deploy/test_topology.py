"""The production topology on this machine, from the files in deploy/: nginx (TLS) in front of two app processes
sharing PostgreSQL and Redis, and a media relay. An operator's set-up commands, then a browser journey through
nginx: the agenda, sign-in by mailed link, a question seen by a browser on the other app process, a stream watched."""

from __future__ import annotations

import asyncio
import json
import re
import secrets
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlmodel import select

from server.accounts.models import Account
from server.agenda.interchange import DEMO_EVENT_FILE
from server.db import Database
from tests.deploy.topology import (
    Processes,
    example_environment,
    nginx_available,
    pin_by_cookie,
    process_environment,
    run_podium,
    unit_command,
    wait_for_port,
    wait_ready,
)
from tests.support import factories
from tests.support.browser import chromium
from tests.support.databases import create_postgres_database, drop_postgres_database
from tests.support.deploy_config import render_nginx, render_site, self_signed_certificate
from tests.support.http import last_link
from tests.support.ports import free_port, port_open
from tests.support.requirements import require

pytestmark = [pytest.mark.integration, pytest.mark.browser, pytest.mark.postgres]

REDIS_URL = "redis://127.0.0.1:6379/0"
SLUG = "asian-dialogue-2021"
DELEGATE = "delegate@example.org"
ORGANISER = "organiser@example.org"
WEBRTC_ARGS = [
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--allow-loopback-in-peer-connection",
    "--disable-features=WebRtcHideLocalIpsWithMdns",
]
WAIT = 15_000


@dataclass
class Site:
    url: str  # through nginx, https
    http_url: str  # nginx's plain-HTTP port
    apps: list[str]  # each app process directly, for its /metrics
    secret: str
    env: dict[str, str]
    database: Database
    processes: Processes


@pytest.fixture
async def postgres_database(postgres_server: str) -> AsyncIterator[str]:
    raw = await create_postgres_database(postgres_server)
    yield raw
    await drop_postgres_database(postgres_server, raw)


@pytest.fixture
async def site(postgres_database: str, tmp_path: Path) -> AsyncIterator[Site]:
    require("nginx", nginx_available())
    require("Redis", port_open("127.0.0.1", 6379))
    https_port, http_port, first, second, relay, control = (free_port() for _ in range(6))
    secret = secrets.token_urlsafe(48)
    settings = example_environment() | {
        "PODIUM_BASE_URL": f"https://127.0.0.1:{https_port}",
        "PODIUM_SECRET_KEY": secret,
        "PODIUM_DATABASE_URL": postgres_database,
        "PODIUM_REDIS_URL": REDIS_URL,
        "PODIUM_SMTP_HOST": "",  # mail waits in the outbox, where the test reads the links
        "PODIUM_RELAY_HOST_ADDRESSES": "127.0.0.1",
        "PODIUM_RELAY_TURN_URLS": "",
        "PODIUM_RELAY_TURN_SECRET": "",
        "PODIUM_RELAY_URL": f"http://127.0.0.1:{control}",  # nginx's control address, rendered on a free port
        "PODIUM_MEDIA_DIR": str(tmp_path / "media"),
    }
    env = process_environment(settings)

    # The operator's steps, as deploy/README.md gives them; the processes start while the event is imported.
    upgraded = run_podium("db", "upgrade", env=env)
    assert upgraded.returncode == 0, upgraded.stderr
    processes = Processes(tmp_path)
    try:
        apps = []
        for name, port in (("app1", first), ("app2", second)):
            apps.append((processes.start(name, unit_command("podium@.service", port), env), port, name))
        relay_process = processes.start("relay", unit_command("podium-relay@.service", relay), env)
        for step in (
            ["import-event", str(DEMO_EVENT_FILE)],
            ["grant-role", SLUG, ORGANISER, "organiser", "--name", "Desk Organiser"],
        ):
            result = run_podium(*step, env=env)
            assert result.returncode == 0, f"podium {' '.join(step)}: {result.stderr}"
        certificate = self_signed_certificate(tmp_path)
        rendered = render_site(
            tmp_path,
            certificate=certificate,
            http_port=http_port,
            https_port=https_port,
            app_servers=[f"127.0.0.1:{first}", f"127.0.0.1:{second}"],
            relay_servers=[f"127.0.0.1:{relay}"],
            control_port=control,
        )
        nginx = processes.start(
            "nginx", ["nginx", "-c", str(render_nginx(tmp_path, pin_by_cookie(rendered, first, second)))], env
        )
        for process, port, name in apps:
            wait_for_port(port, process, tmp_path / f"{name}.log")
            wait_ready(f"http://127.0.0.1:{port}/readyz")
        wait_for_port(relay, relay_process, tmp_path / "relay.log")
        wait_for_port(https_port, nginx, tmp_path / "nginx.log")
        database = Database(postgres_database.replace("postgresql://", "postgresql+asyncpg://", 1))
        yield Site(
            url=f"https://127.0.0.1:{https_port}",
            http_url=f"http://127.0.0.1:{http_port}",
            apps=[f"http://127.0.0.1:{first}", f"http://127.0.0.1:{second}"],
            secret=secret,
            env=env,
            database=database,
            processes=processes,
        )
        await database.dispose()
    finally:
        processes.stop()


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    async with chromium(*WEBRTC_ARGS) as launched:
        yield launched


async def pinned_page(browser: Any, site: Site, backend: str) -> Any:
    context = await browser.new_context(ignore_https_errors=True, locale="en-GB")
    await context.add_cookies([{"name": "podium_test_backend", "value": backend, "url": site.url}])
    return await context.new_page()


async def sign_in_by_mail(page: Any, site: Site, email: str) -> None:
    await page.goto(site.url + await last_link(site.database, email))
    async with page.expect_navigation():
        await page.get_by_role("button", name="Sign in").click()


def room_clients(metrics_text: str, session_id: int) -> float:
    match = re.search(rf'^podium_live_room_clients{{session="{session_id}"}} (\S+)$', metrics_text, re.MULTILINE)
    return float(match.group(1)) if match else 0.0


def requests_answered(metrics_text: str) -> float:
    return sum(float(value) for value in re.findall(r"^podium_http_requests_total{[^}]*} (\S+)$", metrics_text, re.M))


WATCH = """async ([url, token]) => {
  const pc = new RTCPeerConnection({iceServers: []});
  pc.addTransceiver("video", {direction: "recvonly"});
  const video = document.createElement("video");
  video.muted = true;
  video.autoplay = true;
  document.body.append(video);
  pc.ontrack = (event) => { video.srcObject = new MediaStream([event.track]); };
  await pc.setLocalDescription(await pc.createOffer());
  await new Promise((resolve) => {
    if (pc.iceGatheringState === "complete") return resolve();
    pc.addEventListener("icegatheringstatechange", () => pc.iceGatheringState === "complete" && resolve());
    setTimeout(resolve, 3000);
  });
  const response = await fetch(url, {
    method: "POST",
    headers: {"Content-Type": "application/sdp", "Authorization": "Bearer " + token},
    body: pc.localDescription.sdp,
  });
  if (response.status !== 201) return `WHEP answered ${response.status}: ${await response.text()}`;
  await pc.setRemoteDescription({type: "answer", sdp: await response.text()});
  window.podiumTestViewer = pc;
  return "ok";
}"""

FRAMES_DECODED = """async () => {
  let decoded = 0;
  (await window.podiumTestViewer.getStats()).forEach((report) => {
    if (report.type === "inbound-rtp" && report.kind === "video") decoded = report.framesDecoded || 0;
  });
  return decoded;
}"""


async def frames_decoded(page: Any) -> int:
    return int(await page.evaluate(FRAMES_DECODED))


async def first_frames(page: Any, timeout: float) -> int:
    deadline = time.monotonic() + timeout
    while (decoded := await frames_decoded(page)) == 0 and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    return decoded


async def test_production_topology_serves_an_event_end_to_end(site: Site, browser: Any) -> None:
    from playwright.async_api import expect

    from realtime.media.internals import restrict_host_addresses
    from server.streams.tokens import PublishTokens, viewer_pass
    from tests.media.clients import publish, wait_connected
    from tests.media.synthetic import PatternTrack

    async with site.database.session() as db:
        event = await factories.event_by_slug(db, SLUG)
        session = (await factories.sessions_of(db, event))[1]
    room_path = f"/{SLUG}/sessions/{session.code}/room"

    async with httpx.AsyncClient(verify=False, timeout=10) as http:  # noqa: S501 (the test's self-signed certificate)
        # nginx: HTTPS only, static files itself with caching, /metrics kept from the public, ids in the logs.
        redirect = await http.get(f"{site.http_url}/{SLUG}/")
        css = await http.get(f"{site.url}/static/podium.css")
        vendor = await http.get(f"{site.url}/static/vendor/socket.io-client/dist/socket.io.min.js")
        hidden = await http.get(f"{site.url}/metrics")
        agenda = await http.get(f"{site.url}/{SLUG}/")
        # Without the test's cookie, the shipped balancing spreads requests over both app processes.
        before = [requests_answered((await http.get(f"{app}/metrics")).text) for app in site.apps]
        for _ in range(4):
            assert (await http.get(f"{site.url}/readyz")).status_code == 200
        after = [requests_answered((await http.get(f"{app}/metrics")).text) for app in site.apps]
    assert (redirect.status_code, redirect.headers["location"]) == (301, f"https://127.0.0.1/{SLUG}/")
    assert (css.status_code, css.headers["cache-control"]) == (200, "public, max-age=3600")
    assert (vendor.status_code, vendor.headers["cache-control"]) == (200, "public, max-age=3600")
    assert hidden.status_code == 404
    assert agenda.status_code == 200 and agenda.headers["strict-transport-security"] == "max-age=31536000"
    request_id = agenda.headers["x-request-id"]
    assert len(request_id) == 32
    assert [after[n] - before[n] >= 2 for n in range(2)] == [True, True]

    # A delegate on app process 1 finds the agenda, registers and signs in by the mailed link.
    delegate = await pinned_page(browser, site, "1")
    await delegate.goto(f"{site.url}/{SLUG}/")
    await expect(delegate.locator("h1")).to_contain_text("Asian")
    await delegate.goto(f"{site.url}/{SLUG}/register")
    await delegate.fill("#reg-name", "Online Delegate")
    await delegate.fill("#reg-email", DELEGATE)
    await delegate.select_option("#reg-country", "ID")
    await delegate.check("#reg-online")
    await delegate.get_by_role("button", name="Register").click()
    await delegate.wait_for_url(f"{site.url}/{SLUG}/register/sent")
    await sign_in_by_mail(delegate, site, DELEGATE)
    assert delegate.url == f"{site.url}/{SLUG}/registration"

    # The organiser, granted the role on the command line, signs in on app process 2.
    organiser = await pinned_page(browser, site, "2")
    await organiser.goto(f"{site.url}/signin")
    await organiser.fill("#signin-email", ORGANISER)
    async with organiser.expect_navigation():
        await organiser.get_by_role("button", name="Send me a sign-in link").click()
    await sign_in_by_mail(organiser, site, ORGANISER)

    # Both in the live room, each on its own app process; a question crosses from one to the other.
    for page in (delegate, organiser):
        await page.goto(site.url + room_path)
        await page.wait_for_selector("#live-status[data-state='live']", timeout=WAIT)
    async with httpx.AsyncClient(timeout=10) as http:
        shares = [room_clients((await http.get(f"{app}/metrics")).text, session.id or 0) for app in site.apps]
    assert shares == [1.0, 1.0]
    await delegate.fill("#ask-text", "Can the murals be seen online?")
    await delegate.locator("#ask-form button[type=submit]").click()
    await expect(delegate.locator("#ask-status")).to_contain_text("Your question was sent.", timeout=WAIT)
    seen = organiser.locator("#questions li", has_text="Can the murals be seen online?")
    await expect(seen).to_have_count(1, timeout=WAIT)

    # A stream: an encoder publishes over WHIP through nginx; the delegate's Chromium watches over WHEP.
    key = str(session.id)
    restrict_host_addresses(["127.0.0.1"])
    try:
        async with httpx.AsyncClient(base_url=site.url, verify=False, timeout=20) as http:  # noqa: S501
            encoder = await publish(http, f"/whip/{key}", PublishTokens(site.secret).token(key), PatternTrack())
            try:
                await wait_connected(encoder.pc, timeout=15)
                async with site.database.session() as db:
                    account = (await db.exec(select(Account).where(Account.email == DELEGATE))).one()
                token = viewer_pass(site.secret, key, f"a{account.id}", expires_at=int(time.time()) + 600)
                assert await delegate.evaluate(WATCH, [f"/whep/{key}", token]) == "ok"
                first = await first_frames(delegate, timeout=15)
                await asyncio.sleep(1)
                later = await frames_decoded(delegate)
            finally:
                await encoder.close()
    finally:
        restrict_host_addresses([])
    assert first > 0, site.processes.log("relay")[-3000:]
    assert later > first

    # Every app log line is JSON, and nginx's request id reached the app that answered.
    logged = [line for name in ("app1", "app2") for line in site.processes.log(name).splitlines()]
    lines = [json.loads(line) for line in logged if not line.startswith("Podium is serving on ")]
    assert any(line.get("request_id") == request_id for line in lines)
    assert request_id in (Path(site.processes.directory) / "podium.access.log").read_text()
