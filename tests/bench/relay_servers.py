"""The two servers the relay benchmark compares, each run in its own process:

    python -m tests.bench.relay_servers podium PORT      # realtime.media: encode once, fan out packets
    python -m tests.bench.relay_servers mediarelay PORT  # aiortc's MediaRelay: one encoder per viewer

Both speak WHIP at /whip/bench and WHEP at /whep/bench, offer only 127.0.0.1, and let anyone watch.
"""

from __future__ import annotations

import sys

import uvicorn
from aiortc import RTCConfiguration, RTCPeerConnection, RTCRtpSender, RTCSessionDescription
from aiortc.contrib.media import MediaRelay
from aiortc.mediastreams import MediaStreamTrack
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from realtime.media.app import create_relay_app
from realtime.media.config import RelaySettings
from realtime.media.internals import restrict_host_addresses
from realtime.media.policy import Admission, RelayPolicy, ViewerRequest
from server.streams.tokens import PublishTokens

SECRET = "relay-benchmark-secret"
SESSION = "bench"


def open_policy(tokens: PublishTokens) -> RelayPolicy:
    """Anyone may watch (each client counted by address): the benchmark's viewers hold no pass."""

    async def admit(request: ViewerRequest) -> Admission:
        return Admission(allowed=True, account=None)

    return RelayPolicy(verify_publish=tokens.verify, admit_viewer=admit)


CONSENT_FAILURES = 30  # about 30 s of silence before the relay drops a viewer (5 by default)


def podium_app() -> Starlette:
    settings = RelaySettings(
        secret_key=SECRET,
        host_addresses=("127.0.0.1",),
        max_viewers=5000,
        max_viewers_per_ip=5000,
        signalling_per_ip_per_minute=100_000,
        connect_timeout=60,
        # The viewer pool, one process on cores it shares with the relay, falls seconds behind while hundreds of
        # viewers join; the relay would count its unanswered consent checks as vanished viewers and drop them.
        consent_failures=CONSENT_FAILURES,
    )
    return create_relay_app(settings, policy=open_policy(PublishTokens(SECRET)))


def mediarelay_app() -> Starlette:
    """The baseline: aiortc's documented way to send one received track to many peers."""
    relay = MediaRelay()
    source: dict[str, MediaStreamTrack] = {}
    peers: set[RTCPeerConnection] = set()

    async def answer(pc: RTCPeerConnection, request: Request) -> Response:
        peers.add(pc)
        await pc.setRemoteDescription(RTCSessionDescription(sdp=(await request.body()).decode(), type="offer"))
        await pc.setLocalDescription(await pc.createAnswer())
        return Response(pc.localDescription.sdp, 201, media_type="application/sdp", headers={"Location": "/x"})

    async def whip(request: Request) -> Response:
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))

        @pc.on("track")
        def on_track(track: MediaStreamTrack) -> None:
            if track.kind == "video":
                source["video"] = track

        return await answer(pc, request)

    async def whep(request: Request) -> Response:
        if "video" not in source:
            return PlainTextResponse("offline", 409)
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        transceiver = pc.addTransceiver(relay.subscribe(source["video"], buffered=False), direction="sendonly")
        vp8 = [c for c in RTCRtpSender.getCapabilities("video").codecs if c.mimeType == "video/VP8"]
        transceiver.setCodecPreferences(vp8)

        @pc.on("connectionstatechange")
        async def on_state() -> None:
            if pc.connectionState in ("failed", "closed"):
                peers.discard(pc)
                await pc.close()

        return await answer(pc, request)

    return Starlette(
        routes=[Route(f"/whip/{SESSION}", whip, methods=["POST"]), Route(f"/whep/{SESSION}", whep, methods=["POST"])]
    )


def main() -> None:
    mode, port = sys.argv[1], int(sys.argv[2])
    restrict_host_addresses(["127.0.0.1"])
    app = podium_app() if mode == "podium" else mediarelay_app()
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
