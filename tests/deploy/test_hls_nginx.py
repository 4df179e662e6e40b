"""The shipped nginx site serves a session's HLS from PODIUM_HLS_DIR with the headers an HTTP cache needs: the
playlist for a second, segments for a day as immutable; a session with no HLS, or a name the relay never writes,
is 404 with a message."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from server.streams.hls import hls_folder, playlist_url
from tests.support.deploy_config import render_nginx, render_site, self_signed_certificate
from tests.support.ports import free_port
from tests.support.requirements import require

pytestmark = pytest.mark.integration
SECRET = "hls-nginx-test-secret"
KEY = "42"
PLAYLIST = """#EXTM3U
#EXT-X-VERSION:3
#EXT-X-TARGETDURATION:2
#EXT-X-MEDIA-SEQUENCE:1764567890
#EXTINF:2.000000,
0a1b2c3d-1764567890.ts
"""


def wait_for_port(port: int, process: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "nginx stopped"
        try:
            httpx.get(f"http://127.0.0.1:{port}/", timeout=0.5)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise AssertionError("nginx did not start")


def test_nginx_serves_a_sessions_hls_with_cache_headers_and_404_without(tmp_path: Path) -> None:
    require("nginx", shutil.which("nginx") is not None)
    hls_dir = tmp_path / "hls"
    folder = hls_folder(hls_dir, SECRET, KEY)
    folder.mkdir(parents=True)
    (folder / "index.m3u8").write_text(PLAYLIST)
    (folder / "0a1b2c3d-1764567890.ts").write_bytes(b"G" + bytes(187) * 1)
    (folder / "index.m3u8.tmp").write_text("half a playlist")
    http_port, https_port = free_port(), free_port()
    site = render_site(
        tmp_path,
        certificate=self_signed_certificate(tmp_path),
        http_port=http_port,
        https_port=https_port,
        hls_dir=hls_dir,
    )
    main = render_nginx(tmp_path, site)
    process = subprocess.Popen(["nginx", "-c", str(main), "-p", str(tmp_path)], stderr=subprocess.DEVNULL)
    try:
        wait_for_port(http_port, process)
        with httpx.Client(base_url=f"https://127.0.0.1:{https_port}", verify=False, timeout=5) as client:
            playlist = client.get(playlist_url(SECRET, KEY))
            assert playlist.status_code == 200
            assert playlist.text == PLAYLIST
            assert playlist.headers["cache-control"] == "public, max-age=1"
            assert playlist.headers["content-type"] == "application/vnd.apple.mpegurl"

            segment = client.get(playlist_url(SECRET, KEY).replace("index.m3u8", "0a1b2c3d-1764567890.ts"))
            assert segment.status_code == 200
            assert segment.headers["cache-control"] == "public, max-age=86400, immutable"
            assert segment.headers["content-type"] == "video/mp2t"

            for path in (
                playlist_url(SECRET, "43"),  # a session with no HLS
                f"/hls/{folder.name}/index.m3u8.tmp",  # a playlist being written
                f"/hls/{folder.name}/",  # no listing
                "/hls/",
            ):
                missing = client.get(path)
                assert missing.status_code == 404, path
                assert "no HLS stream" in missing.text, path
                assert missing.headers["cache-control"] == "public, max-age=1"
    finally:
        process.terminate()
        process.wait(timeout=10)
