"""Packetising once per stream: each frame a fan-out publishes is cut into RTP payload chunks here, once, and every
viewer's sender (realtime/media/sender.py) only adds what differs per viewer around the same chunks.

VP8 (RFC 7741): each payload is a 4-byte payload descriptor (its picture ID is per viewer, so a viewer that skips
frames still sees consecutive picture IDs) and a chunk of the frame, at most ``PACKET_MAX`` bytes in all, as
aiortc's own packetiser cuts it. Opus (RFC 7587): one payload per frame, the packet as it is.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from fractions import Fraction

import av
from aiortc.codecs.vpx import PACKET_MAX

VIDEO_CLOCK = 90_000
AUDIO_CLOCK = 48_000
VP8_DESCRIPTOR_SIZE = 4  # X, I and a 15-bit picture ID: what aiortc's VP8 sender writes
VP8_CHUNK = PACKET_MAX - VP8_DESCRIPTOR_SIZE
_PICTURE_ID = struct.Struct("!H")


@dataclass(frozen=True, slots=True)
class PackedFrame:
    """One frame as every viewer gets it: payload chunks in order, its RTP timestamp before the viewer's offset."""

    chunks: tuple[bytes, ...]
    timestamp: int
    keyframe: bool
    size: int  # bytes of media, for the sender's statistics
    vp8: bool


def _rtp_time(packet: av.Packet, clock: int) -> int:
    if packet.pts is None:
        return 0
    time_base = packet.time_base or Fraction(1, clock)
    return int(packet.pts * time_base * clock)


def pack(kind: str, packet: av.Packet) -> PackedFrame:
    """The frame in ``packet`` (VP8 for video, Opus for audio) cut into the chunks every viewer's packets carry."""
    data = bytes(packet)
    if kind == "video":
        chunks = tuple(data[pos : pos + VP8_CHUNK] for pos in range(0, len(data), VP8_CHUNK))
        return PackedFrame(chunks, _rtp_time(packet, VIDEO_CLOCK), bool(packet.is_keyframe), len(data), vp8=True)
    return PackedFrame((data,), _rtp_time(packet, AUDIO_CLOCK), False, len(data), vp8=False)


def vp8_descriptors(picture_id: int) -> tuple[bytes, bytes]:
    """The payload descriptors of a frame's first packet (start of partition 0) and of the packets after it."""
    picture = _PICTURE_ID.pack(0x8000 | picture_id)
    return b"\x90\x80" + picture, b"\x80\x80" + picture
