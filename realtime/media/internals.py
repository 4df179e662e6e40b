"""Every aiortc and aioice internal the relay relies on, in one place, with a check that they are still there.

The relay forwards encoded frames and packetises each once per stream (realtime/media/packetiser.py), writing the
VP8 payload descriptor aiortc's VP8 sender writes. These need internals:

- forwarding without decoding: a VP8 publisher's receiver puts each reassembled frame on its private decoder queue
  (``RTCRtpReceiver.__decoder_queue``); the relay swaps that queue for a tap that hands the frame over instead;
  an interpreter's receiver does the same with each Opus packet (its payload as sent: ``depayload`` leaves Opus
  alone), and the viewers' senders send each Opus packet as it is, its RTP timestamp from the packet's ``pts``;
- no ingest delay for Opus: an audio receiver's private jitter buffer (``RTCRtpReceiver.__jitter_buffer``) holds
  four packets before it lets one go (80 ms); an Opus packet is a whole frame, and the listeners have their own
  jitter buffers, so the relay swaps it for one that hands each packet on as it arrives;
- keyframes from the publisher: ``RTCRtpReceiver._send_rtcp_pli`` sends it a picture loss indication;
- packetising once per stream (realtime/media/sender.py): a viewer's ``RTCRtpSender`` gets its RTP loop
  (``_run_rtp``) and its NACK answer (``_retransmit``) replaced per sender; the loop uses the sender's private RTP
  start/exit events (``stop()`` waits for them), its header extension map, MID and RTX payload type and sequence,
  and sets the counters its RTCP sender reports read (``__ntp_timestamp``, ``__rtp_timestamp``, ``__packet_count``,
  ``__octet_count``); each packet goes out through ``RTCDtlsTransport._send_rtp``, which protects and sends it, or,
  where that would do nothing more, straight through the DTLS transport's SRTP session (``_tx_srtp.protect``) and
  the nominated ICE pair's ``StunProtocol`` transport (``DirectRtp``: no awaits, so an idle viewer is sent each
  frame as it is published);
- keyframe requests: on a viewer's PLI/FIR the sender calls its private ``_send_keyframe``, which only affects its
  own encoder and so does nothing on the packed path; the relay replaces it per sender to ask the stream's source;
- loopback-only ICE: aioice gathers host candidates through ``aioice.ice.get_host_addresses`` and skips loopback,
  so offline tests and single-host set-ups restrict it to chosen addresses;
- consent freshness: aioice checks a peer's consent (RFC 7675) every ``CONSENT_INTERVAL`` (5) seconds and gives
  up after ``CONSENT_FAILURES`` (6) unanswered checks in a row; the relay checks more often so a viewer whose browser
  vanished without a DELETE is counted out within seconds, not half a minute;
- RSA peers: ``RTCCertificate._create_ssl_context`` offers only ECDHE-ECDSA suites, so when the relay is the DTLS
  client (an offer of ``a=setup:passive``) a peer with an RSA certificate (GStreamer 1.22) finds no shared cipher;
  the relay adds two ECDHE-RSA suites after aiortc's own (see ``realtime/media/dtls.py`` for the usual case).

``tests/media/test_internals.py`` runs :func:`problems` and fails loudly when an upgrade changes any of this.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import threading
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import aioice
import aioice.ice
import aiortc
from aiortc import RTCCertificate, RTCDtlsTransport, RTCIceTransport, RTCRtpReceiver, RTCRtpSender
from aiortc.codecs import depayload
from aiortc.codecs.vpx import Vp8Encoder
from aiortc.jitterbuffer import JitterFrame
from aiortc.rtcdtlstransport import State as DtlsState
from aiortc.rtcrtpparameters import RTCRtpCodecParameters
from aiortc.rtcrtpreceiver import decoder_worker
from aiortc.rtp import HeaderExtensionsMap
from OpenSSL import SSL

logger = logging.getLogger(__name__)

AIORTC_VERSION = "1.16.0"
AIOICE_VERSIONS = ("0.13.0",)

_original_host_addresses = aioice.ice.get_host_addresses
_DECODER_QUEUE = "_RTCRtpReceiver__decoder_queue"
_JITTER_BUFFER = "_RTCRtpReceiver__jitter_buffer"
_original_ssl_context = RTCCertificate._create_ssl_context
AIORTC_CIPHERS = (
    b"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA"
)
RSA_CIPHERS = b"ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384"

EncodedFrameHandler = Callable[[str, bytes, int], None]  # codec name, frame data, timestamp in 1/90000 s


class _EncodedFrameTap:
    """Stands in for the receiver's decoder queue: frames go to the relay, the idle decoder thread just waits."""

    def __init__(self, on_frame: EncodedFrameHandler) -> None:
        self._on_frame = on_frame
        self._stopped = threading.Event()

    def put(self, task: Any) -> None:
        if task is None:  # the receiver stopping its decoder thread
            self._stopped.set()
            return
        codec, encoded_frame = task
        try:
            self._on_frame(codec.name, encoded_frame.data, encoded_frame.timestamp)
        except Exception:  # never let a bad frame stop the publisher's receive loop
            logger.exception("forwarding a frame failed")

    def get(self) -> None:
        self._stopped.wait()
        return None


class _EncodedFrameTee:
    """Stands in for the receiver's decoder queue: frames still go to the decoder, and to the relay as they are."""

    def __init__(self, queue: Any, on_frame: EncodedFrameHandler) -> None:
        self._queue = queue
        self._on_frame = on_frame

    def put(self, task: Any) -> None:
        if task is not None:
            codec, encoded_frame = task
            try:
                self._on_frame(codec.name, encoded_frame.data, encoded_frame.timestamp)
            except Exception:
                logger.exception("copying a frame failed")
        self._queue.put(task)

    def get(self) -> Any:
        return self._queue.get()


def tee_encoded_frames(receiver: RTCRtpReceiver, on_frame: EncodedFrameHandler) -> None:
    """Decode the receiver's frames as usual and hand each one, as it came, to ``on_frame`` too (a recorder keeps
    an H.264 publisher's own frames); call before it starts."""
    setattr(receiver, _DECODER_QUEUE, _EncodedFrameTee(getattr(receiver, _DECODER_QUEUE), on_frame))


def tap_encoded_frames(receiver: RTCRtpReceiver, on_frame: EncodedFrameHandler) -> None:
    """Take the receiver's reassembled frames as they are, instead of decoding them; call before it starts."""
    setattr(receiver, _DECODER_QUEUE, _EncodedFrameTap(on_frame))


class _PacketAtOnce:
    """Stands in for an audio receiver's jitter buffer: each packet is a frame, handed on as it arrives; one older
    than a packet already handed on (late, or repeated) is dropped, so frames go on in order."""

    def __init__(self) -> None:
        self._last: int | None = None

    def add(self, packet: Any) -> tuple[bool, JitterFrame | None]:
        sequence = int(packet.sequence_number)
        if self._last is not None and not 0 < (sequence - self._last) % 65536 < 32768:
            return False, None
        self._last = sequence
        return False, JitterFrame(data=packet._data, timestamp=packet.timestamp)


def frames_at_once(receiver: RTCRtpReceiver) -> None:
    """Hand an audio receiver's packets on as they arrive, without the jitter buffer's prefetch delay."""
    setattr(receiver, _JITTER_BUFFER, _PacketAtOnce())


_SENDER = "_RTCRtpSender__"
SENDER_FIELDS = (
    "rtp_started",
    "rtp_exited",
    "rtp_header_extensions_map",
    "mid",
    "rtx_payload_type",
    "rtx_sequence_number",
    "ntp_timestamp",
    "rtp_timestamp",
    "packet_count",
    "octet_count",
    "track",
)


class PackedSending:
    """The private parts of one ``RTCRtpSender`` that a viewer's packed RTP loop takes over or keeps up to date."""

    def __init__(self, sender: RTCRtpSender) -> None:
        self._sender = sender

    def _get(self, name: str) -> Any:
        return getattr(self._sender, _SENDER + name)

    def _set(self, name: str, value: object) -> None:
        setattr(self._sender, _SENDER + name, value)

    def replace(
        self, *, run_rtp: Callable[[Any], Awaitable[None]], retransmit: Callable[[int], Awaitable[None]]
    ) -> None:
        setattr(self._sender, "_run_rtp", run_rtp)  # noqa: B010 (replacing private methods on purpose)
        setattr(self._sender, "_retransmit", retransmit)  # noqa: B010

    @property
    def rtp_started(self) -> asyncio.Event:
        event: asyncio.Event = self._get("rtp_started")
        return event

    @property
    def extensions_map(self) -> HeaderExtensionsMap:
        extensions: HeaderExtensionsMap = self._get("rtp_header_extensions_map")
        return extensions

    @property
    def mid(self) -> str | None:
        mid: str | None = self._get("mid")
        return mid

    def rtx(self) -> tuple[int, int] | None:
        """The RTX payload type and the next RTX sequence number (taken), or None without RTX."""
        payload_type: int | None = self._get("rtx_payload_type")
        if payload_type is None:
            return None
        sequence: int = self._get("rtx_sequence_number")
        self._set("rtx_sequence_number", (sequence + 1) & 0xFFFF)
        return payload_type, sequence

    def sent(self, *, ntp: int, rtp_timestamp: int, packets: int, octets: int) -> None:
        """What the next RTCP sender report says (once per frame per viewer, hence no loop)."""
        sender = self._sender
        setattr(sender, "_RTCRtpSender__ntp_timestamp", ntp)  # noqa: B010 (a private attribute, on purpose)
        setattr(sender, "_RTCRtpSender__rtp_timestamp", rtp_timestamp)  # noqa: B010
        setattr(sender, "_RTCRtpSender__packet_count", packets)  # noqa: B010
        setattr(sender, "_RTCRtpSender__octet_count", octets)  # noqa: B010

    def log_failure(self) -> None:
        logger.exception("a viewer's RTP loop failed")

    def finish(self) -> None:
        """As aiortc's loop ends: stop the track, and let ``stop()`` know the loop is over."""
        track = self._get("track")
        if track is not None:
            track.stop()
            self._set("track", None)
        event: asyncio.Event = self._get("rtp_exited")
        event.set()


class DirectRtp:
    """Protect and send one viewer's RTP packets at once, without the awaits of aiortc's and aioice's send path.

    Only where that path would do nothing more (``RTCDtlsTransport._send_rtp``: SRTP ``protect`` then the ICE
    connection's nominated pair; ``StunProtocol.send_data``: ``transport.sendto``); a TURN-relayed pair, whose send
    may wait for a channel binding, keeps aiortc's path."""

    def __init__(self, sender: RTCRtpSender) -> None:
        self._sender = sender
        self._pair: Any = None
        self._send: Callable[[bytes], None] | None = None

    def sender(self) -> Callable[[bytes], None] | None:
        """A function sending a packet now, or None where aiortc's own path must send it; raises ConnectionError
        once the viewer's connection is gone, as aiortc's path does."""
        dtls = self._sender.transport
        if dtls._state is not DtlsState.CONNECTED:
            raise ConnectionError("Cannot send encrypted RTP, not connected")
        pair = dtls.transport._connection._nominated.get(1)
        if pair is None:
            raise ConnectionError("Cannot send data, not connected")
        if pair is not self._pair:
            self._pair = pair
            self._send = None
            if type(pair.protocol) is aioice.ice.StunProtocol:
                protect = dtls._tx_srtp.protect
                sendto = pair.protocol.transport.sendto
                address = pair.remote_addr

                def send(data: bytes) -> None:
                    sendto(protect(data), address)

                self._send = send
        return self._send


def send_picture_loss(receiver: RTCRtpReceiver) -> None:
    """Ask the publisher for a keyframe (RTCP PLI) on every source the receiver hears."""
    for source in receiver.getSynchronizationSources():
        asyncio.ensure_future(receiver._send_rtcp_pli(source.source))


def route_keyframe_requests(sender: RTCRtpSender, request_keyframe: Callable[[], None]) -> None:
    """Send this viewer's PLI/FIR to whatever makes the stream's keyframes instead of the sender's idle encoder."""
    setattr(sender, "_send_keyframe", request_keyframe)  # noqa: B010 (replacing a private method on purpose)


def restrict_host_addresses(addresses: Sequence[str]) -> None:
    """Offer only these addresses as ICE host candidates in this process; an empty list restores aioice's choice."""
    if not addresses:
        aioice.ice.get_host_addresses = _original_host_addresses
        return
    chosen = list(addresses)

    def host_addresses(use_ipv4: bool, use_ipv6: bool) -> list[str]:
        return [address for address in chosen if (":" in address and use_ipv6) or (":" not in address and use_ipv4)]

    aioice.ice.get_host_addresses = host_addresses


def check_consent(*, interval: float, failures: int) -> None:
    """Check every peer's consent every ``interval`` seconds (randomised by 20%); ``failures`` misses in a row end it."""
    aioice.ice.CONSENT_INTERVAL = interval  # type: ignore[assignment]
    aioice.ice.CONSENT_FAILURES = failures


def _ssl_context_for_rsa_peers(certificate: RTCCertificate, srtp_profiles: list[Any]) -> SSL.Context:
    context = _original_ssl_context(certificate, srtp_profiles)
    context.set_cipher_list(AIORTC_CIPHERS + b":" + RSA_CIPHERS)  # aiortc's suites first, as it orders them
    return context


def accept_rsa_peers() -> None:
    """Let DTLS handshakes in this process also agree on ECDHE-RSA suites, for peers holding RSA certificates."""
    setattr(RTCCertificate, "_create_ssl_context", _ssl_context_for_rsa_peers)  # noqa: B010 (on purpose)


def problems() -> list[str]:
    """What no longer matches the internals this module relies on; empty when all is as pinned."""
    found: list[str] = []
    if aiortc.__version__ != AIORTC_VERSION:
        found.append(f"aiortc is {aiortc.__version__}, the relay was written against {AIORTC_VERSION}")
    aioice_version = getattr(aioice, "__version__", "unknown")
    if aioice_version not in AIOICE_VERSIONS:
        found.append(f"aioice is {aioice_version}, the relay was checked against {', '.join(AIOICE_VERSIONS)}")
    sender_source = inspect.getsource(RTCRtpSender)
    for name in SENDER_FIELDS:
        if f"self.__{name} = " not in sender_source:
            found.append(f"RTCRtpSender.__{name} is gone")
    run_rtp = inspect.getsource(RTCRtpSender._run_rtp)
    if "self.transport._send_rtp(packet_bytes)" not in run_rtp or "self.__rtp_exited.set()" not in run_rtp:
        found.append("RTCRtpSender._run_rtp no longer sends through transport._send_rtp and sets __rtp_exited")
    if "self._run_rtp(" not in inspect.getsource(RTCRtpSender.send):
        found.append("RTCRtpSender.send no longer starts self._run_rtp")
    if "await self._retransmit(seq)" not in inspect.getsource(RTCRtpSender._handle_rtcp_packet):
        found.append("RTCRtpSender._handle_rtcp_packet no longer answers NACK with self._retransmit(seq)")
    send_rtp = inspect.getsource(RTCDtlsTransport._send_rtp)
    if (
        "self._state != State.CONNECTED" not in send_rtp
        or "self._tx_srtp.protect(data)" not in send_rtp
        or "await self.transport._send(data)" not in send_rtp
    ):
        found.append("RTCDtlsTransport._send_rtp no longer protects with _tx_srtp and sends on its ICE transport")
    if "self._send = self._connection.send" not in inspect.getsource(RTCIceTransport.__init__):
        found.append("RTCIceTransport._send no longer sends on its aioice connection")
    ice_sendto = inspect.getsource(aioice.ice.Connection.sendto)
    if "self._nominated.get(component)" not in ice_sendto or "active_pair.remote_addr" not in ice_sendto:
        found.append("aioice's Connection.sendto no longer sends on its nominated pair")
    if "self.transport.sendto(data, addr)" not in inspect.getsource(aioice.ice.StunProtocol.send_data):
        found.append("aioice's StunProtocol.send_data no longer just calls transport.sendto")
    keyframe = getattr(RTCRtpSender, "_send_keyframe", None)
    if keyframe is None or list(inspect.signature(keyframe).parameters) != ["self"]:
        found.append("RTCRtpSender._send_keyframe(self) is gone or changed")
    rtcp_source = inspect.getsource(RTCRtpSender._handle_rtcp_packet)
    if "RTCP_PSFB_PLI" not in rtcp_source or "self._send_keyframe()" not in rtcp_source:
        found.append("RTCRtpSender._handle_rtcp_packet no longer answers PLI with self._send_keyframe()")
    if Vp8Encoder._packetize(b"frame", 0x1234) != [b"\x90\x80\x92\x34frame"]:
        found.append("aiortc's VP8 payload descriptor changed: the relay's packetiser writes the one it wrote")
    opus = RTCRtpCodecParameters(mimeType="audio/opus", clockRate=48000, channels=2, payloadType=111)
    if opus.name != "opus" or depayload(opus, b"\x78opus") != b"\x78opus":
        found.append("an Opus receiver no longer hands its RTP payloads over as they are")
    buffer = getattr(RTCRtpReceiver("audio", _ClosedTransport()), _JITTER_BUFFER, None)  # type: ignore[arg-type]
    if buffer is None or not hasattr(buffer, "add"):
        found.append("RTCRtpReceiver.__jitter_buffer is gone")
    if list(inspect.signature(JitterFrame).parameters) != ["data", "timestamp"]:
        found.append("aiortc.jitterbuffer.JitterFrame(data, timestamp) changed")
    queue = getattr(RTCRtpReceiver("video", _ClosedTransport()), _DECODER_QUEUE, None)  # type: ignore[arg-type]
    if queue is None or not hasattr(queue, "put"):
        found.append("RTCRtpReceiver.__decoder_queue is gone")
    handle_rtp = inspect.getsource(RTCRtpReceiver._handle_rtp_packet)
    if "pli_flag, encoded_frame = self.__jitter_buffer.add(packet)" not in handle_rtp:
        found.append("RTCRtpReceiver._handle_rtp_packet no longer takes frames from its jitter buffer's add(packet)")
    if "self.__decoder_queue.put((codec, encoded_frame))" not in handle_rtp:
        found.append("RTCRtpReceiver._handle_rtp_packet no longer queues (codec, encoded_frame) for decoding")
    if "self.__decoder_queue," not in inspect.getsource(RTCRtpReceiver.receive):
        found.append("RTCRtpReceiver.receive no longer hands its decoder queue to the decoder thread")
    worker = inspect.getsource(decoder_worker)
    if "input_q.get()" not in worker or "if task is None:" not in worker:
        found.append("aiortc's decoder_worker no longer reads tasks until None")
    pli = getattr(RTCRtpReceiver, "_send_rtcp_pli", None)
    if pli is None or list(inspect.signature(pli).parameters) != ["self", "media_ssrc"]:
        found.append("RTCRtpReceiver._send_rtcp_pli(self, media_ssrc) is gone or changed")
    host_addresses = _original_host_addresses
    if list(inspect.signature(host_addresses).parameters) != ["use_ipv4", "use_ipv6"]:
        found.append("aioice.ice.get_host_addresses(use_ipv4, use_ipv6) changed")
    gather = inspect.getsource(aioice.ice.Connection.gather_candidates)
    if "get_host_addresses(" not in gather:
        found.append("aioice.ice.Connection.gather_candidates no longer calls get_host_addresses")
    consent = inspect.getsource(aioice.ice.Connection.query_consent)
    if "CONSENT_INTERVAL *" not in consent or "failures >= CONSENT_FAILURES" not in consent:
        found.append("aioice.ice.Connection.query_consent no longer reads CONSENT_INTERVAL and CONSENT_FAILURES")
    if "return await self.close()" not in consent:
        found.append("aioice.ice.Connection.query_consent no longer closes the connection when consent expires")
    context_source = inspect.getsource(_original_ssl_context)
    if "set_cipher_list(" not in context_source or AIORTC_CIPHERS.decode() not in context_source:
        found.append("RTCCertificate._create_ssl_context no longer sets the ECDSA cipher list the relay extends")
    if list(inspect.signature(_original_ssl_context).parameters) != ["self", "srtp_profiles"]:
        found.append("RTCCertificate._create_ssl_context(self, srtp_profiles) changed")
    return found


class _ClosedTransport:
    """Just enough of a transport to build a receiver for inspection."""

    state = "new"
