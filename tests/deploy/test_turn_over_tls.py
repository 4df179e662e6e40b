"""A viewer whose network lets no UDP through still watches: coturn from the shipped configuration with TURN over
TLS, a ``podium relay`` process that hands viewers its ``turns:`` address with time-limited credentials, and an
aiortc viewer whose ICE may use nothing but that TURN server over TLS (``iceTransportPolicy: relay``, one
``turns:`` URL): no host or server-reflexive candidate, no UDP from the viewer at all."""

from __future__ import annotations

import asyncio
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from aiortc import RTCConfiguration, RTCIceServer, RTCPeerConnection, RTCSessionDescription
from aiortc.rtcconfiguration import RTCIceTransportPolicy

from realtime.media.ice import turn_credentials
from server.db import Database
from server.settings import Settings
from server.streams.tokens import publish_token, viewer_pass
from tests.media.clients import publish, video_frames, wait_connected
from tests.media.synthetic import HEIGHT, WIDTH, PatternTrack, ToneTrack
from tests.support import factories
from tests.support.deploy_config import self_signed_certificate
from tests.support.media import loopback_only
from tests.support.ports import port_open
from tests.support.relay_process import RelayProcess
from tests.support.requirements import require
from tests.support.turn_server import TurnServer, start_turnserver

pytestmark = [pytest.mark.integration, pytest.mark.slow]

TURN_SECRET = "turn-secret-shared-with-the-relay"
RELAY = RTCIceTransportPolicy.RELAY
LINK = re.compile(
    r'<(?P<url>[^>]+)>; rel="ice-server"; username="(?P<username>[^"]+)"; credential="(?P<credential>[^"]+)"'
)


@pytest.fixture(autouse=True)
def loopback() -> Iterator[None]:
    with loopback_only():
        yield


@pytest.fixture
def turn(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TurnServer]:
    require("coturn (turnserver)", shutil.which("turnserver") is not None)
    certificate = self_signed_certificate(tmp_path)
    # The viewer checks coturn's certificate as a browser would: this test's own certificate authority is the one
    # OpenSSL trusts (it reads SSL_CERT_FILE whenever a TLS connection starts).
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate.cert))
    server = start_turnserver(tmp_path, certificate, secret=TURN_SECRET, loopback_peers=True)
    try:
        assert server.process.poll() is None and port_open("127.0.0.1", server.tls_port), server.log
        yield server
    finally:
        server.stop()


def ice_servers(response: httpx.Response) -> list[RTCIceServer]:
    """The ICE servers a WHEP client configures from the relay's ``Link`` headers (RFC 9725 section 4.6)."""
    servers = []
    for header in response.headers.get_list("link"):
        for link in LINK.finditer(header):
            servers.append(RTCIceServer(urls=link["url"], username=link["username"], credential=link["credential"]))
    return servers


def candidate_types(sdp: str) -> set[tuple[str, str]]:
    """(protocol, type) of each ICE candidate the SDP offers."""
    return set(re.findall(r"a=candidate:\S+ \d+ (\S+) .* typ (\w+)", sdp))


async def intruder_candidates(url: str) -> set[tuple[str, str]]:
    """The candidates a peer gathers with TURN credentials made from a guessed secret."""
    username, credential = turn_credentials("a-guessed-secret", "intruder", ttl=600)
    forged = RTCIceServer(urls=url, username=username, credential=credential)
    intruder = RTCPeerConnection(RTCConfiguration(iceServers=[forged], iceTransportPolicy=RELAY))
    intruder.addTransceiver("video", direction="recvonly")
    await intruder.setLocalDescription(await intruder.createOffer())
    await intruder.close()
    return candidate_types(intruder.localDescription.sdp)


async def test_a_viewer_without_udp_watches_over_turn_on_tls(
    settings: Settings, database: Database, turn: TurnServer, tmp_path: Path
) -> None:
    async with database.session() as db:
        _, session = await factories.other_event(db)
    key = str(session.id)
    relay = RelayProcess(settings.database_url, settings.secret_key, tmp_path / "relay.log")
    relay.environment["PODIUM_RELAY_TURN_URLS"] = f"turns:127.0.0.1:{turn.tls_port}?transport=tcp"
    relay.environment["PODIUM_RELAY_TURN_SECRET"] = TURN_SECRET
    relay.start()
    viewer: RTCPeerConnection | None = None
    viewer_username = ""
    try:
        async with httpx.AsyncClient(base_url=relay.url, timeout=20) as client:
            token = publish_token(settings.secret_key, key, 0)
            publisher = await publish(client, f"/whip/{key}", token, PatternTrack(), ToneTrack(440))
            await wait_connected(publisher.pc)

            watch_pass = viewer_pass(settings.secret_key, key, "delegate-7", expires_at=int(time.time()) + 600)
            headers = {"Authorization": f"Bearer {watch_pass}"}
            servers = ice_servers(await client.options(f"/whep/{key}", headers=headers))
            assert [server.urls for server in servers] == [f"turns:127.0.0.1:{turn.tls_port}?transport=tcp"]
            viewer_username = servers[0].username
            assert viewer_username.endswith(":watch-delegate-7")  # time-limited, naming the viewer

            # Meanwhile someone with credentials made from any other secret asks the same server: refused.
            intruding = asyncio.create_task(intruder_candidates(servers[0].urls))

            viewer = RTCPeerConnection(RTCConfiguration(iceServers=servers, iceTransportPolicy=RELAY))
            tracks = []
            viewer.on("track", tracks.append)
            viewer.addTransceiver("video", direction="recvonly")
            await viewer.setLocalDescription(await viewer.createOffer())
            # The viewer offers one candidate: an address on the TURN server, reached over TCP and TLS.
            assert candidate_types(viewer.localDescription.sdp) == {("udp", "relay")}
            answer = await client.post(
                f"/whep/{key}",
                content=viewer.localDescription.sdp,
                headers={**headers, "Content-Type": "application/sdp"},
            )
            assert answer.status_code == 201, answer.text
            await viewer.setRemoteDescription(RTCSessionDescription(sdp=answer.text, type="answer"))
            await wait_connected(viewer, timeout=15)

            frames = await video_frames(tracks[0], seconds=3)
            assert len(frames) >= 30, f"{len(frames)} frames decoded in 3 s"
            assert {(frame.width, frame.height) for frame in frames[-5:]} == {(WIDTH, HEIGHT)}
            await publisher.close()
            assert await intruding == set()  # nowhere to relay from
    finally:
        if viewer is not None:
            await viewer.close()
        await asyncio.to_thread(relay.kill)
    # coturn admitted the viewer over TLS with the relay's credentials, and carried the stream to it.
    assert turn.wait_for(f"peer usage: realm=<podium.example.org>, username=<{viewer_username}>"), turn.log
    sessions = re.findall(
        r"session (\d+): new, realm=<[^>]*>, username=<\d+:watch-delegate-7>, .*method=(TLS\S*)", turn.log
    )
    assert sessions, turn.log
    number, _protocol = sessions[0]
    relayed = re.search(rf"session {number}: peer usage: .* rb=(\d+)", turn.log)
    assert relayed is not None and int(relayed[1]) > 50_000, turn.log  # 3 s of video, not just ICE checks
    assert not re.search(r"new, realm=<[^>]*>, username=<\d+:intruder>", turn.log)  # never admitted
    assert re.search(r"user <\d+:intruder>: incoming packet message processed, error 401", turn.log), turn.log
