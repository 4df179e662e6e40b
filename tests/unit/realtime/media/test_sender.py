"""A viewer's RTP header extensions, written once per viewer, are the bytes aiortc would write per packet."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from aiortc import RTCRtpSender
from aiortc.rtcrtpparameters import RTCRtpHeaderExtensionParameters, RTCRtpSendParameters
from aiortc.rtp import RtpPacket

from realtime.media.fanout import Fanout
from realtime.media.sender import PackedSender

pytestmark = pytest.mark.unit

MID = "urn:ietf:params:rtp-hdrext:sdes:mid"
ABS_SEND_TIME = "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"


def negotiated(*uris: str) -> tuple[RTCRtpSender, PackedSender]:
    sender = RTCRtpSender("video", SimpleNamespace(state="new"))  # type: ignore[arg-type]
    extensions = [RTCRtpHeaderExtensionParameters(id=n + 1, uri=uri) for n, uri in enumerate(uris)]
    sender._RTCRtpSender__rtp_header_extensions_map.configure(RTCRtpSendParameters(headerExtensions=extensions))  # type: ignore[attr-defined]
    sender._RTCRtpSender__mid = "0"  # type: ignore[attr-defined]
    packed = PackedSender(sender, Fanout("video", max_queue=3).subscribe())
    packed._mid = "0"
    packed._learn_extensions()
    return sender, packed


@pytest.mark.parametrize("uris", [(MID, ABS_SEND_TIME), (ABS_SEND_TIME,), (MID,), ()])
async def test_a_viewers_header_extensions_are_aiortcs(uris: tuple[str, ...]) -> None:
    sender, packed = negotiated(*uris)

    block, ntp = packed._extensions()

    packet = RtpPacket(payload_type=96, sequence_number=1, timestamp=2)
    packet.extensions.abs_send_time = (ntp >> 14) & 0x00FFFFFF
    packet.extensions.mid = "0"
    packet.payload = b"x"
    assert packet.serialize(sender._RTCRtpSender__rtp_header_extensions_map)[12:-1] == block  # type: ignore[attr-defined]
