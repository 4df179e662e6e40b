"""Every aiortc and aioice internal the relay relies on, in one place, with a check that they are still there.

The relay hands encoded ``av.Packet`` objects to ``RTCRtpSender`` (public: a track may return packets, which the
sender packs without encoding). Two things need internals:

- keyframe requests: on a viewer's PLI/FIR the sender calls its private ``_send_keyframe``, which only affects its
  own encoder and so does nothing on the packing path; the relay replaces it per sender to ask the stream's encoder;
- loopback-only ICE: aioice gathers host candidates through ``aioice.ice.get_host_addresses`` and skips loopback,
  so offline tests and single-host set-ups restrict it to chosen addresses.

``tests/media/test_internals.py`` runs :func:`problems` and fails loudly when an upgrade changes any of this.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence

import aioice
import aioice.ice
import aiortc
from aiortc import RTCRtpSender
from aiortc.codecs.vpx import Vp8Encoder

AIORTC_VERSION = "1.16.0"
AIOICE_VERSIONS = ("0.13.0",)

_original_host_addresses = aioice.ice.get_host_addresses


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


def problems() -> list[str]:
    """What no longer matches the internals this module relies on; empty when all is as pinned."""
    found: list[str] = []
    if aiortc.__version__ != AIORTC_VERSION:
        found.append(f"aiortc is {aiortc.__version__}, the relay was written against {AIORTC_VERSION}")
    aioice_version = getattr(aioice, "__version__", "unknown")
    if aioice_version not in AIOICE_VERSIONS:
        found.append(f"aioice is {aioice_version}, the relay was checked against {', '.join(AIOICE_VERSIONS)}")
    keyframe = getattr(RTCRtpSender, "_send_keyframe", None)
    if keyframe is None or list(inspect.signature(keyframe).parameters) != ["self"]:
        found.append("RTCRtpSender._send_keyframe(self) is gone or changed")
    rtcp_source = inspect.getsource(RTCRtpSender._handle_rtcp_packet)
    if "RTCP_PSFB_PLI" not in rtcp_source or "self._send_keyframe()" not in rtcp_source:
        found.append("RTCRtpSender._handle_rtcp_packet no longer answers PLI with self._send_keyframe()")
    next_frame = inspect.getsource(RTCRtpSender._next_encoded_frame)
    if ".pack(data)" not in next_frame or "isinstance(data, Frame)" not in next_frame:
        found.append("RTCRtpSender no longer packs av.Packet objects a track returns")
    pack = getattr(Vp8Encoder, "pack", None)
    if pack is None or list(inspect.signature(pack).parameters) != ["self", "packet"]:
        found.append("Vp8Encoder.pack(self, packet) is gone or changed")
    host_addresses = _original_host_addresses
    if list(inspect.signature(host_addresses).parameters) != ["use_ipv4", "use_ipv6"]:
        found.append("aioice.ice.get_host_addresses(use_ipv4, use_ipv6) changed")
    gather = inspect.getsource(aioice.ice.Connection.gather_candidates)
    if "get_host_addresses(" not in gather:
        found.append("aioice.ice.Connection.gather_candidates no longer calls get_host_addresses")
    return found
