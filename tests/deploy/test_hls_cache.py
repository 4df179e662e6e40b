"""The shipped HLS cache (deploy/nginx/hls-cache.conf) in front of a site that serves /hls/ with Podium's caching
headers: a crowd asking for a new segment at once costs the site one request, the playlist is refreshed every
second, a session without HLS is a 404 passed through, and everything else reaches the site uncached."""

from __future__ import annotations

import asyncio
import ssl
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from tests.deploy.topology import nginx_available
from tests.support.deploy_config import render_hls_cache, render_nginx, self_signed_certificate
from tests.support.ports import free_port, wait_for_port
from tests.support.requirements import require

pytestmark = [pytest.mark.integration, pytest.mark.slow]

PLAYLIST = "/hls/1-0123456789abcdef/index.m3u8"
SEGMENT = "/hls/1-0123456789abcdef/segment-7.m4s"


@dataclass
class Site:
    """What the site's /hls/ answers (as deploy/nginx/podium.conf does), counting the requests that reach it."""

    port: int
    asked: Counter[str] = field(default_factory=Counter)
    playlist_version: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def serve_site(site: Site, certificate: Path, key: Path) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            with site.lock:
                site.asked[self.path] += 1
            if self.path == PLAYLIST:
                body = f"#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:{site.playlist_version}\n".encode()
                self.answer(200, body, "application/vnd.apple.mpegurl", "max-age=1")
            elif self.path == SEGMENT:
                time.sleep(0.3)  # a segment takes a while to send: the crowd arrives meanwhile
                self.answer(200, b"\0" * 50_000, "video/iso.segment", "public, max-age=86400, immutable")
            elif self.path.startswith("/hls/"):
                self.answer(404, b"this session has no HLS\n", "text/plain", "no-store")
            else:
                self.answer(200, b"a page\n", "text/html", "no-store")

        def answer(self, status: int, body: bytes, content_type: str, cache: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Cache-Control", cache)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", site.port), Handler)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(certificate, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture
def cache(tmp_path: Path) -> Iterator[tuple[str, Site, Path]]:
    require("nginx", nginx_available())
    (tmp_path / "site").mkdir()
    (tmp_path / "cache").mkdir()
    site_certificate = self_signed_certificate(tmp_path / "site", host="podium.example.org")
    certificate = self_signed_certificate(tmp_path / "cache")
    site = Site(free_port())
    server = serve_site(site, site_certificate.cert, site_certificate.key)
    https_port = free_port()
    conf = render_hls_cache(
        tmp_path / "cache",
        certificate=certificate,
        http_port=free_port(),
        https_port=https_port,
        site=f"127.0.0.1:{site.port}",
        site_certificate=site_certificate.cert,
    )
    nginx = subprocess.Popen(["nginx", "-c", str(render_nginx(tmp_path / "cache", conf)), "-p", str(tmp_path)])
    try:
        wait_for_port(https_port, nginx, "nginx")
        yield f"https://127.0.0.1:{https_port}", site, certificate.cert
    finally:
        nginx.terminate()
        nginx.wait(timeout=10)
        server.shutdown()
        server.server_close()


async def test_a_crowd_costs_the_site_one_request_per_segment_and_a_playlist_a_second(
    cache: tuple[str, Site, Path],
) -> None:
    url, site, certificate = cache
    async with httpx.AsyncClient(base_url=url, verify=str(certificate), timeout=10) as viewers:
        # Twenty viewers ask for a new segment at once: the site sends it once, every viewer gets it.
        crowd = await asyncio.gather(*(viewers.get(SEGMENT) for _ in range(20)))
        assert {response.status_code for response in crowd} == {200}
        assert {len(response.content) for response in crowd} == {50_000}
        assert site.asked[SEGMENT] == 1
        late = await viewers.get(SEGMENT)
        assert late.headers["x-cache-status"] == "HIT"
        assert late.headers["cache-control"] == "public, max-age=86400, immutable"  # for the browsers' caches too

        # The playlist: at most one request a second reaches the site, however many viewers reload it, and a new
        # playlist reaches viewers within about a second.
        started = time.monotonic()
        first = await viewers.get(PLAYLIST)
        again = await asyncio.gather(*(viewers.get(PLAYLIST) for _ in range(10)))
        assert first.status_code == 200 and {r.text for r in again} == {first.text}
        assert site.asked[PLAYLIST] <= 1 + int(time.monotonic() - started)
        site.playlist_version = 1
        changed = time.monotonic()
        seen = set()
        while "#EXT-X-MEDIA-SEQUENCE:1" not in seen and time.monotonic() < changed + 5:
            seen.add((await viewers.get(PLAYLIST)).text.splitlines()[1])
            await asyncio.sleep(0.1)
        assert "#EXT-X-MEDIA-SEQUENCE:1" in seen
        assert site.asked[PLAYLIST] <= 2 + int(time.monotonic() - started)

        # A session without HLS: the site's 404 and its message.
        missing = await viewers.get("/hls/2-fedcba9876543210/index.m3u8")
        assert missing.status_code == 404 and missing.text == "this session has no HLS\n"

        # Pages are never cached here: each request reaches the site.
        for _ in range(3):
            page = await viewers.get("/asian-dialogue-2021/")
            assert page.status_code == 200 and "x-cache-status" not in page.headers
        assert site.asked["/asian-dialogue-2021/"] == 3
