"""One viewer's RTP: the stream's packed frames (realtime/media/packetiser.py) with this viewer's own header.

aiortc's RTCRtpSender packetises every frame again for each viewer and builds an ``RtpPacket`` per packet. Here the
sender's RTP loop is replaced (realtime/media/internals.py, ``PackedSending``): per packet it writes the 12-byte
header (this viewer's sequence number, timestamp offset and SSRC), the header extensions once per frame, the VP8
descriptor with this viewer's picture ID, then SRTP-protects and sends. Everything else stays aiortc's: RTCP sender
reports read the counters kept here, NACKs are answered from this viewer's history (over RTX when negotiated), and
PLI/FIR reach the stream's source as before.
"""

from __future__ import annotations

import asyncio
import random
import struct
from typing import TYPE_CHECKING

from aiortc import clock
from aiortc.rtcrtpparameters import RTCRtpCodecParameters
from aiortc.rtcrtpsender import random_sequence_number
from aiortc.rtp import RTP_HISTORY_SIZE, HeaderExtensions, RtpPacket, wrap_rtx
from aiortc.utils import random32

from realtime.media.internals import PackedSending
from realtime.media.packetiser import vp8_descriptors

if TYPE_CHECKING:
    from aiortc import RTCRtpSender

    from realtime.media.fanout import PacketTrack

_HEADER = struct.Struct("!BBHLL")
_EXTENSION_HEADER = struct.Struct("!HH")


class PackedSender:
    """Sends a viewer's ``PacketTrack`` through its ``RTCRtpSender`` without packetising anything again."""

    def __init__(self, sender: RTCRtpSender, track: PacketTrack) -> None:
        self._internals = PackedSending(sender)
        self._sender = sender
        self._track = track
        self._history: list[tuple[int, bytes] | None] = [None] * RTP_HISTORY_SIZE
        self.packets = 0
        self.octets = 0

    def install(self) -> None:
        """Take over the sender's RTP loop and retransmissions; call before the connection starts sending."""
        self._internals.replace(run_rtp=self._run, retransmit=self._retransmit)

    def _extensions(self, mid: str | None) -> tuple[bytes, int]:
        """The header extension block for packets sent now, and the NTP time it carries."""
        ntp = clock.current_ntp_time()
        values = HeaderExtensions()
        values.abs_send_time = (ntp >> 14) & 0x00FFFFFF
        values.mid = mid
        profile, value = self._internals.extensions_map.set(values)
        if not value:
            return b"", ntp
        return _EXTENSION_HEADER.pack(profile, len(value) >> 2) + value, ntp

    async def _run(self, codec: RTCRtpCodecParameters) -> None:
        internals = self._internals
        internals.rtp_started.set()
        sequence = random_sequence_number()
        origin = random32()
        picture_id = random.randint(0, 0x7FFF)  # noqa: S311 (a picture ID, as aiortc picks its first one)
        payload_type = codec.payloadType or 0  # always set once negotiated
        ssrc = self._sender._ssrc
        mid = internals.mid
        history = self._history
        track = self._track
        try:
            while True:
                frame = await track.next_frame()
                if not self._sender._enabled or not frame.chunks:
                    continue
                extensions, ntp = self._extensions(mid)
                first_byte = 0x90 if extensions else 0x80
                timestamp = (origin + frame.timestamp) & 0xFFFFFFFF
                if frame.vp8:
                    first, rest = vp8_descriptors(picture_id)
                    picture_id = (picture_id + 1) & 0x7FFF
                else:
                    first = rest = b""
                last = len(frame.chunks) - 1
                send = self._sender.transport._send_rtp
                for index, chunk in enumerate(frame.chunks):
                    marker = 0x80 if index == last else 0
                    header = _HEADER.pack(first_byte, marker | payload_type, sequence, timestamp, ssrc)
                    data = b"".join((header, extensions, first if index == 0 else rest, chunk))
                    history[sequence % RTP_HISTORY_SIZE] = (sequence, data)
                    await send(data)
                    sequence = (sequence + 1) & 0xFFFF
                self.packets += last + 1
                self.octets += frame.size + (len(first) + len(rest) * last)
                internals.sent(ntp=ntp, rtp_timestamp=timestamp, packets=self.packets, octets=self.octets)
        except (asyncio.CancelledError, ConnectionError):
            pass
        except Exception:  # like aiortc's loop: log it, and never leave stop() waiting
            internals.log_failure()
        finally:
            internals.finish()

    async def _retransmit(self, sequence_number: int) -> None:
        """A NACK: send the packet again as it was sent, wrapped in RTX when the viewer negotiated it."""
        kept = self._history[sequence_number % RTP_HISTORY_SIZE]
        if kept is None or kept[0] != sequence_number:
            return
        data = kept[1]
        rtx = self._internals.rtx()
        if rtx is not None:
            payload_type, rtx_sequence = rtx
            extensions_map = self._internals.extensions_map
            packet = wrap_rtx(
                RtpPacket.parse(data, extensions_map),
                payload_type=payload_type,
                sequence_number=rtx_sequence,
                ssrc=self._sender._rtx_ssrc,
            )
            data = packet.serialize(extensions_map)
        await self._sender.transport._send_rtp(data)
