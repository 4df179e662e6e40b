"""Packetising once per stream: a viewer's payloads are the ones aiortc's own VP8 and Opus senders would send."""

from __future__ import annotations

import fractions

import av
import pytest
from aiortc.codecs.vpx import PACKET_MAX, Vp8Encoder

from realtime.media.packetiser import pack, vp8_descriptors

pytestmark = pytest.mark.unit


def vp8_packet(size: int, pts: int) -> av.Packet:
    packet = av.Packet(bytes(n % 251 for n in range(size)))
    packet.pts = pts
    packet.time_base = fractions.Fraction(1, 90_000)
    packet.is_keyframe = True
    return packet


@pytest.mark.parametrize("size", [1, PACKET_MAX - 4, PACKET_MAX - 3, 3 * PACKET_MAX + 17])
def test_a_viewers_vp8_payloads_are_aiortcs_with_its_own_picture_id(size: int) -> None:
    packet = vp8_packet(size, pts=3000)

    frame = pack("video", packet)
    first, rest = vp8_descriptors(0x1234)
    payloads = [(rest if index else first) + chunk for index, chunk in enumerate(frame.chunks)]

    assert payloads == Vp8Encoder._packetize(bytes(packet), 0x1234)
    assert max(len(payload) for payload in payloads) <= PACKET_MAX
    assert (frame.timestamp, frame.keyframe) == (3000, True)


def test_an_opus_packet_is_one_payload_timed_at_48_khz() -> None:
    packet = av.Packet(b"\x78opus")
    packet.pts = 960
    packet.time_base = fractions.Fraction(1, 48_000)

    frame = pack("audio", packet)

    assert (frame.chunks, frame.timestamp, frame.vp8) == ((b"\x78opus",), 960, False)
