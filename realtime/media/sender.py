"""One viewer's RTP: the stream's packed frames (realtime/media/packetiser.py) with this viewer's own header.

aiortc's RTCRtpSender packetises every frame again for each viewer and builds an ``RtpPacket`` per packet. Here the
sender's RTP loop is replaced (realtime/media/internals.py, ``PackedSending``): per packet it writes the 12-byte
header (this viewer's sequence number, timestamp offset and SSRC), the header extensions once per frame, the VP8
descriptor with this viewer's picture ID, then SRTP-protects and sends. Everything else stays aiortc's: RTCP sender
reports read the counters kept here, NACKs are answered from this viewer's history (over RTX when negotiated), and
PLI/FIR reach the stream's source as before.

A viewer whose sender is idle gets each frame sent as the fan-out publishes it (``send_now``), without waking its
task; one still busy with earlier frames (a send that waited) gets it queued, and its task catches up or skips to
a keyframe (realtime/media/fanout.py).
"""

from __future__ import annotations

import asyncio
import logging
import random
import struct
import time
from typing import TYPE_CHECKING

from aiortc.mediastreams import MediaStreamError
from aiortc.rtcrtpparameters import RTCRtpCodecParameters
from aiortc.rtcrtpsender import random_sequence_number
from aiortc.rtp import RTP_HISTORY_SIZE, HeaderExtensions, RtpPacket, wrap_rtx
from aiortc.utils import random32

from realtime.media.internals import DirectRtp, PackedSending
from realtime.media.packetiser import PackedFrame, vp8_descriptors

if TYPE_CHECKING:
    from aiortc import RTCRtpSender

    from realtime.media.fanout import PacketTrack

logger = logging.getLogger(__name__)

_HEADER = struct.Struct("!BBHLL")
_EXTENSION_HEADER = struct.Struct("!HH")
NTP_EPOCH_OFFSET = 2_208_988_800  # seconds from 1900 (NTP) to 1970 (Unix)


def ntp_now() -> int:
    """The time as a 64-bit NTP timestamp (aiortc's ``clock.current_ntp_time``, without building a datetime)."""
    return int((time.time() + NTP_EPOCH_OFFSET) * (1 << 32))


class PackedSender:
    """Sends a viewer's ``PacketTrack`` through its ``RTCRtpSender`` without packetising anything again."""

    def __init__(self, sender: RTCRtpSender, track: PacketTrack) -> None:
        self._internals = PackedSending(sender)
        self._direct = DirectRtp(sender)
        self._sender = sender
        self._track = track
        self._history: list[tuple[int, bytes] | None] = [None] * RTP_HISTORY_SIZE
        self._sequence = random_sequence_number()
        self._origin = random32()
        self._picture_id = random.randint(0, 0x7FFF)  # noqa: S311 (a picture ID, as aiortc picks its first one)
        self._payload_type = 0
        self._mid: str | None = None
        self._extensions_before = self._extensions_after = b""
        self._abs_send_time = False
        self.packets = 0
        self.octets = 0

    def install(self) -> None:
        """Take over the sender's RTP loop and retransmissions; call before the connection starts sending."""
        self._internals.replace(run_rtp=self._run, retransmit=self._retransmit)

    def _extension_block(self, abs_send_time: int) -> bytes:
        values = HeaderExtensions()
        values.abs_send_time = abs_send_time
        values.mid = self._mid
        profile, value = self._internals.extensions_map.set(values)
        return _EXTENSION_HEADER.pack(profile, len(value) >> 2) + value if value else b""

    def _learn_extensions(self) -> None:
        """Build this viewer's header extension block once (aiortc builds it per packet), and find where the
        3-byte abs-send-time goes in it, if the viewer negotiated it."""
        zeros, ones = self._extension_block(0), self._extension_block(0xFFFFFF)
        self._extensions_before, self._extensions_after = zeros, b""
        self._abs_send_time = False
        if zeros != ones:
            at = next(index for index, (a, b) in enumerate(zip(zeros, ones, strict=True)) if a != b)
            self._extensions_before, self._extensions_after = zeros[:at], zeros[at + 3 :]
            self._abs_send_time = True

    def _extensions(self) -> tuple[bytes, int]:
        """The header extension block for packets sent now, and the NTP time it carries."""
        ntp = ntp_now()
        if not self._abs_send_time:
            return self._extensions_before, ntp
        send_time = ((ntp >> 14) & 0x00FFFFFF).to_bytes(3, "big")
        return b"".join((self._extensions_before, send_time, self._extensions_after)), ntp

    def _packets(self, frame: PackedFrame) -> list[bytes]:
        """This viewer's RTP packets for ``frame``, kept for retransmission and counted for sender reports."""
        extensions, ntp = self._extensions()
        first_byte = 0x90 if extensions else 0x80
        timestamp = (self._origin + frame.timestamp) & 0xFFFFFFFF
        if frame.vp8:
            first, rest = vp8_descriptors(self._picture_id)
            self._picture_id = (self._picture_id + 1) & 0x7FFF
        else:
            first = rest = b""
        last = len(frame.chunks) - 1
        sequence, payload_type, ssrc, history = self._sequence, self._payload_type, self._sender._ssrc, self._history
        packets = []
        for index, chunk in enumerate(frame.chunks):
            marker = 0x80 if index == last else 0
            header = _HEADER.pack(first_byte, marker | payload_type, sequence, timestamp, ssrc)
            data = b"".join((header, extensions, rest if index else first, chunk))
            history[sequence % RTP_HISTORY_SIZE] = (sequence, data)
            packets.append(data)
            sequence = (sequence + 1) & 0xFFFF
        self._sequence = sequence
        self.packets += last + 1
        self.octets += frame.size + len(first) * (last + 1)
        self._internals.sent(ntp=ntp, rtp_timestamp=timestamp, packets=self.packets, octets=self.octets)
        return packets

    def send_now(self, frame: PackedFrame) -> bool:
        """Send ``frame`` at once if nothing stands in the way; False: queue it for the sender's task instead."""
        try:
            send = self._direct.sender()
        except ConnectionError:
            return False  # the task meets it too, and ends
        if send is None:
            return False
        if self._sender._enabled and frame.chunks:
            try:
                for data in self._packets(frame):
                    send(data)
            except Exception:  # lost like a packet on the network: a NACK or the next keyframe mends it
                logger.exception("sending a frame to a viewer failed")
        return True

    async def _run(self, codec: RTCRtpCodecParameters) -> None:
        internals = self._internals
        internals.rtp_started.set()
        self._payload_type = codec.payloadType or 0  # always set once negotiated
        self._mid = internals.mid
        self._learn_extensions()
        track = self._track
        track.sink = self.send_now
        try:
            while True:
                frame = await track.next_frame()
                if not self._sender._enabled or not frame.chunks:
                    continue
                packets = self._packets(frame)
                send = self._direct.sender()
                if send is not None:
                    for data in packets:
                        send(data)
                else:
                    for data in packets:
                        await self._sender.transport._send_rtp(data)
        except (asyncio.CancelledError, ConnectionError, MediaStreamError):
            pass
        except Exception:  # like aiortc's loop: log it, and never leave stop() waiting
            internals.log_failure()
        finally:
            track.sink = None
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
