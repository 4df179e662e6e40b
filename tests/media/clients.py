"""WHIP publishers and WHEP viewers built on aiortc, as an encoder or a viewer page would use the relay."""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections.abc import Set as AbstractSet
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


@dataclass
class SrtpCapture:
    """What reached a viewer's connection: SRTP datagrams carrying RTP, and the RTP packets they decrypted to."""

    lose: AbstractSet[int] = frozenset()  # which datagrams (1 for the first RTP one) the network loses
    arrived: int = 0
    lost: list[tuple[int, int]] = field(default_factory=list)  # payload type and sequence number (clear in SRTP)
    packets: list[RtpPacket] = field(default_factory=list)

    def media(self, payload_type: int) -> list[RtpPacket]:
        return [packet for packet in self.packets if packet.payload_type == payload_type]

    def retransmitted(self, rtx_payload_type: int) -> set[int]:
        """Sequence numbers sent again over RTX (RFC 4588: the original's comes first in the payload)."""
        return {
            int.from_bytes(packet.payload[:2], "big")
            for packet in self.packets
            if packet.payload_type == rtx_payload_type and len(packet.payload) >= 2
        }


def capture_srtp(peer: Peer, *, lose: AbstractSet[int] = frozenset()) -> SrtpCapture:
    """Count every SRTP datagram carrying RTP that reaches the viewer, and keep each one that decrypts (an SRTP
    packet that fails authentication or decryption is dropped between the two); the ``lose`` ones (counted from 1)
    never reach it, as if lost on the way. Set up right after ``watch``."""
    dtls = peer.pc.getReceivers()[0].transport
    ice = dtls.transport
    receive = ice._recv
    handle = dtls._handle_rtp_data
    capture = SrtpCapture(lose=lose)

    async def receiving() -> bytes:
        while True:
            data: bytes = await receive()
            if len(data) >= 4 and 127 < data[0] < 192 and not 192 <= data[1] <= 223:  # RTP, not RTCP (RFC 5761)
                capture.arrived += 1
                if capture.arrived in capture.lose:
                    capture.lost.append((data[1] & 0x7F, int.from_bytes(data[2:4], "big")))
                    continue
            return data

    async def handling(data: bytes, arrival_time_ms: int) -> None:
        capture.packets.append(RtpPacket.parse(data))
        await handle(data, arrival_time_ms)

    ice._recv = receiving
    dtls._handle_rtp_data = handling  # type: ignore[method-assign]
    return capture


def sequence_gaps(packets: list[RtpPacket], recovered: AbstractSet[int] = frozenset()) -> list[int]:
    """Sequence numbers missing between the first packet and the last (modulo 2^16), after ``recovered`` ones
    (retransmissions) are counted in; one SSRC's packets."""
    if not packets:
        return []
    seen = {packet.sequence_number for packet in packets} | recovered
    first = packets[0].sequence_number
    span = (packets[-1].sequence_number - first) % 65536
    return [(first + n) % 65536 for n in range(span + 1) if (first + n) % 65536 not in seen]


def video_payload_types(peer: Peer) -> tuple[int, int | None]:
    """The VP8 payload type the relay answered with, and its RTX payload type (None without RTX)."""
    sdp = peer.pc.remoteDescription.sdp
    vp8 = int(re.findall(r"a=rtpmap:(\d+) VP8/90000", sdp)[0])
    rtx = re.findall(rf"a=fmtp:(\d+) apt={vp8}\b", sdp)
    return vp8, int(rtx[0]) if rtx else None
