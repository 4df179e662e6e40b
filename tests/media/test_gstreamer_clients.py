"""Clients no one here wrote: GStreamer's webrtcbin publishing over WHIP (VP8, H.264) and watching over WHEP.

GStreamer 1.22 holds an RSA certificate; the relay must still complete DTLS with it. The clients run as
``tests/media/gst_client.py`` under the system Python, which has Debian's GStreamer bindings.
"""

from __future__ import annotations

import asyncio
import functools
import json
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import httpx
import pytest

from realtime.media.config import RelaySettings
from realtime.media.relay import Relay
from realtime.media.status import stream_status
from server.streams.tokens import PublishTokens, viewer_pass
from tests.media.clients import publish
from tests.media.synthetic import HEIGHT, WIDTH, PatternTrack
from tests.support.media import SECRET
from tests.support.requirements import require

pytestmark = pytest.mark.integration

SESSION = "keynote"
SYSTEM_PYTHON = "/usr/bin/python3"
CLIENT = Path(__file__).with_name("gst_client.py")
ELEMENTS = ("webrtcbin", "nicesrc", "dtlssrtpenc", "videotestsrc", "vp8enc", "vp8dec", "x264enc", "rtph264pay")
PROBE = (
    "import gi; gi.require_version('Gst', '1.0'); gi.require_version('GstWebRTC', '1.0');"
    "gi.require_version('GstSdp', '1.0'); from gi.repository import Gst, GstWebRTC, GstSdp; Gst.init(None);"
    f"raise SystemExit(any(Gst.ElementFactory.find(name) is None for name in {ELEMENTS!r}))"
)


@functools.cache
def gstreamer_available() -> bool:
    try:
        return subprocess.run([SYSTEM_PYTHON, "-c", PROBE], capture_output=True, timeout=60).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


@pytest.fixture(autouse=True)
def loopback_only() -> Iterator[None]:
    """Overrides the loopback restriction: GStreamer's libnice offers no loopback candidate, and its checks from an
    interface address to a loopback one were not answered here, so the relay offers every address, as deployed."""
    require("GStreamer 1.22 with webrtcbin and Python bindings", gstreamer_available())
    yield


@pytest.fixture
def settings(settings: RelaySettings) -> RelaySettings:
    return replace(settings, host_addresses=())


@dataclass
class GstClient:
    """A running ``gst_client.py``; its standard error goes to a file, so a chatty pipeline never blocks on a pipe."""

    process: asyncio.subprocess.Process
    log: Path

    @property
    def running(self) -> bool:
        return self.process.returncode is None

    async def result(self) -> dict[str, object]:
        """Waits for the client (closing its standard input first) and reads its one-line JSON report."""
        assert self.process.stdin is not None
        self.process.stdin.close()
        async with asyncio.timeout(60):
            stdout, _ = await self.process.communicate()
        stderr = self.log.read_text(errors="replace")[-3000:]
        lines = stdout.decode().strip().splitlines()
        assert lines, f"the GStreamer client printed nothing; stderr: {stderr}"
        report: dict[str, object] = json.loads(lines[-1])
        report["stderr"] = stderr  # for the assertion messages
        return report


async def start_client(log: Path, *args: str) -> GstClient:
    with log.open("wb") as stderr:  # the client keeps its own copy of the file
        process = await asyncio.create_subprocess_exec(
            SYSTEM_PYTHON, str(CLIENT), *args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr
        )
    return GstClient(process, log)


async def wait_until_live(relay: Relay, publisher: GstClient) -> None:
    deadline = time.monotonic() + 30
    while not stream_status(relay, SESSION).live:
        if time.monotonic() > deadline or not publisher.running:
            report = await publisher.result()
            raise AssertionError(f"the GStreamer publisher never went live: {report}")
        await asyncio.sleep(0.1)


async def watch_with_gstreamer(log_dir: Path, whep: str) -> dict[str, object]:
    """A GStreamer player's report once it has decoded 30 frames (or given up after 40 s)."""
    token = viewer_pass(SECRET, SESSION, "gstreamer-viewer", expires_at=int(time.time()) + 300)
    viewer = await start_client(log_dir / "viewer.log", "watch", whep, token, "--frames", "30", "--seconds", "40")
    return await viewer.result()


def urls(client: httpx.AsyncClient) -> tuple[str, str]:
    return str(client.base_url.join(f"/whip/{SESSION}")), str(client.base_url.join(f"/whep/{SESSION}"))


@pytest.mark.parametrize(
    ("codec", "setup", "mode"),
    [
        pytest.param("vp8", "actpass", "forward", id="vp8"),
        pytest.param("h264", "actpass", "transcode", id="h264"),
        # The publisher insists on being the DTLS server: the relay is the client and must offer RSA suites.
        pytest.param("vp8", "passive", "forward", id="vp8-relay-as-dtls-client"),
    ],
)
async def test_gstreamer_publishes_over_whip_and_a_gstreamer_player_decodes_over_whep(
    live_client: httpx.AsyncClient,
    tokens: PublishTokens,
    relay: Relay,
    tmp_path: Path,
    codec: str,
    setup: str,
    mode: str,
) -> None:
    whip, whep = urls(live_client)
    options = ["--codec", codec, "--setup", setup, "--seconds", "90"]

    publisher = await start_client(tmp_path / "publisher.log", "publish", whip, tokens.token(SESSION), *options)
    await wait_until_live(relay, publisher)
    status = stream_status(relay, SESSION)
    viewer = await watch_with_gstreamer(tmp_path, whep)
    published = await publisher.result()

    assert (status.mode, status.width, status.height) == (mode, 320, 240)
    assert (viewer["state"], viewer["frames_decoded"], viewer["errors"]) == ("connected", 30, []), viewer["stderr"]
    assert (published["state"], published["errors"]) == ("connected", []), published["stderr"]


async def test_a_gstreamer_player_decodes_an_aiortc_publishers_stream_over_whep(
    live_client: httpx.AsyncClient, tokens: PublishTokens, relay: Relay, tmp_path: Path
) -> None:
    whip, whep = urls(live_client)
    publisher = await publish(live_client, whip, tokens.token(SESSION), PatternTrack())

    viewer = await watch_with_gstreamer(tmp_path, whep)

    assert (viewer["state"], viewer["frames_decoded"], viewer["errors"]) == ("connected", 30, []), viewer["stderr"]
    assert (stream_status(relay, SESSION).width, stream_status(relay, SESSION).height) == (WIDTH, HEIGHT)
    await publisher.close()
