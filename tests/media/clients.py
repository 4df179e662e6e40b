"""WHIP publishers and WHEP viewers built on aiortc, as an encoder or a viewer page would use the relay."""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field

import httpx
from aiortc import MediaStreamTrack, RTCConfiguration, RTCPeerConnection, RTCRtpSender, RTCSessionDescription
from aiortc.rtp import RtpPacket
from av import AudioFrame, VideoFrame

SDP_HEADERS = {"Content-Type": "application/sdp"}


def offline_peer() -> RTCPeerConnection:
    return RTCPeerConnection(RTCConfiguration(iceServers=[]))


def auth(token: str | None) -> dict[str, str]:
    return {**SDP_HEADERS, **({"Authorization": f"Bearer {token}"} if token else {})}


@dataclass
class Peer:
    pc: RTCPeerConnection
    location: str
    tracks: dict[str, MediaStreamTrack] = field(default_factory=dict)

    async def close(self) -> None:
        await self.pc.close()


class SignallingFailed(Exception):
    def __init__(self, response: httpx.Response) -> None:
        super().__init__(f"{response.status_code}: {response.text.strip()}")
        self.response = response


async def _negotiate(client: httpx.AsyncClient, url: str, pc: RTCPeerConnection, token: str | None) -> str:
    await pc.setLocalDescription(await pc.createOffer())
    response = await client.post(url, content=pc.localDescription.sdp, headers=auth(token))
    if response.status_code != 201:
        await pc.close()
        raise SignallingFailed(response)
    await pc.setRemoteDescription(RTCSessionDescription(sdp=response.text, type="answer"))
    return response.headers["location"]


async def publish(
    client: httpx.AsyncClient, url: str, token: str | None, *tracks: MediaStreamTrack, video_codec: str = ""
) -> Peer:
    """Publish over WHIP; ``video_codec`` (e.g. "video/H264") limits what the video section offers."""
    pc = offline_peer()
    for track in tracks:
        transceiver = pc.addTransceiver(track, direction="sendonly")
        if track.kind == "video" and video_codec:
            codecs = RTCRtpSender.getCapabilities("video").codecs
            transceiver.setCodecPreferences([c for c in codecs if c.mimeType in (video_codec, "video/rtx")])
    return Peer(pc, await _negotiate(client, url, pc, token))


async def watch(client: httpx.AsyncClient, url: str, token: str | None, kinds: tuple[str, ...] = ("video",)) -> Peer:
    pc = offline_peer()
    tracks: dict[str, MediaStreamTrack] = {}

    @pc.on("track")
    def on_track(track: MediaStreamTrack) -> None:
        tracks[track.kind] = track

    for kind in kinds:
        pc.addTransceiver(kind, direction="recvonly")
    location = await _negotiate(client, url, pc, token)
    return Peer(pc, location, tracks)


async def wait_connected(pc: RTCPeerConnection, timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while pc.connectionState != "connected":
            if pc.connectionState in ("failed", "closed"):
                raise ConnectionError(f"peer connection {pc.connectionState}")
            await asyncio.sleep(0.02)


async def video_frames(track: MediaStreamTrack, *, seconds: float) -> list[VideoFrame]:
    """Decoded frames the viewer's track yields within ``seconds``."""
    frames: list[VideoFrame] = []
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            while True:
                frame = await track.recv()
                assert isinstance(frame, VideoFrame)
                frames.append(frame)
    return frames


async def audio_frames(track: MediaStreamTrack, *, seconds: float) -> list[tuple[float, AudioFrame]]:
    """Decoded audio the listener's track yields within ``seconds``, with when each frame came."""
    frames: list[tuple[float, AudioFrame]] = []
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            while True:
                frame = await track.recv()
                assert isinstance(frame, AudioFrame)
                frames.append((time.monotonic(), frame))
    return frames


@dataclass(frozen=True)
class RtpSeen:
    sequence_number: int
    timestamp: int
    at: float


def record_rtp(peer: Peer) -> list[RtpSeen]:
    """Every RTP packet the viewer's first receiver gets, as it arrives (before the jitter buffer): the sequence
    numbers and timestamps the relay sent. Set up right after ``watch``, before media flows."""
    receiver = peer.pc.getReceivers()[0]
    handle = receiver._handle_rtp_packet
    seen: list[RtpSeen] = []

    async def recording(packet: RtpPacket, arrival_time_ms: int) -> None:
        seen.append(RtpSeen(packet.sequence_number, packet.timestamp, time.monotonic()))
        await handle(packet, arrival_time_ms)

    receiver._handle_rtp_packet = recording  # type: ignore[method-assign]
    return seen
