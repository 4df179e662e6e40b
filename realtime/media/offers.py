"""Reading SDP offers from publishers and viewers: anything the relay cannot serve is refused before a peer exists."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from aiortc import sdp

Role = Literal["publish", "watch"]

# What the relay can take from a publisher (aiortc decodes these) and what it sends to viewers.
PUBLISH_CODECS = {"video": {"vp8", "h264"}, "audio": {"opus", "pcmu", "pcma", "g722"}}
WATCH_CODECS = {"video": {"vp8"}, "audio": {"opus"}}
DIRECTIONS: dict[Role, set[str | None]] = {"publish": {"sendonly", "sendrecv"}, "watch": {"recvonly", "sendrecv"}}
MAX_MEDIA_SECTIONS = 4
MAX_LINE = 4096  # characters in one SDP line; every line a real encoder writes is far shorter
MAX_MID = 16  # the RTP MID header extension carries at most 16 bytes (RFC 8843, RFC 8285)
MAX_ICE_CREDENTIAL = 256  # ice-ufrag and ice-pwd (RFC 8839)


class OfferError(ValueError):
    """An offer the relay refuses, with a reason fit to send back to the client."""


@dataclass(frozen=True)
class Offer:
    sdp: str
    kinds: tuple[str, ...]
    video_codecs: frozenset[str] = frozenset()  # lower-case names the offer's video section lists
    audio_codecs: frozenset[str] = frozenset()  # and its audio section


def read_offer(text: str, *, role: Role) -> Offer:
    """Validate an SDP offer for publishing or watching; raise OfferError saying what is wrong."""
    if not text.lstrip().startswith("v=0"):
        raise OfferError("the body is not an SDP offer (it must start with v=0)")
    if any(len(line) > MAX_LINE for line in text.splitlines()):
        raise OfferError(f"a line of the offer is longer than {MAX_LINE} characters")
    try:
        description = sdp.SessionDescription.parse(text)
    except Exception:  # the parser asserts and indexes freely: any failure means a malformed offer
        raise OfferError("the SDP offer could not be parsed") from None
    if len(description.media) > MAX_MEDIA_SECTIONS:
        raise OfferError(f"the offer has more than {MAX_MEDIA_SECTIONS} media sections")
    kinds: list[str] = []
    video_codecs: frozenset[str] = frozenset()
    audio_codecs: frozenset[str] = frozenset()
    wanted = PUBLISH_CODECS if role == "publish" else WATCH_CODECS
    for media in description.media:
        if media.kind not in ("audio", "video"):
            continue
        if media.kind in kinds:
            raise OfferError(f"the offer has more than one {media.kind} section")
        if not media.rtp.muxId or len(media.rtp.muxId) > MAX_MID:
            raise OfferError(f"the {media.kind} section needs an a=mid of 1 to {MAX_MID} characters")
        if media.ice is None or not media.ice.usernameFragment or not media.ice.password:
            raise OfferError(f"the {media.kind} section has no ICE username fragment or password")
        if max(len(media.ice.usernameFragment), len(media.ice.password)) > MAX_ICE_CREDENTIAL:
            raise OfferError(f"the {media.kind} section's ICE credentials are longer than {MAX_ICE_CREDENTIAL}")
        if media.dtls is None or not media.dtls.fingerprints:
            raise OfferError(f"the {media.kind} section has no DTLS fingerprint")
        if not media.rtcp_mux:
            raise OfferError(f"the {media.kind} section does not multiplex RTCP (a=rtcp-mux)")
        if media.direction not in DIRECTIONS[role]:
            verb = "send" if role == "publish" else "receive"
            raise OfferError(f"the {media.kind} section must {verb} media, not be {media.direction or 'unset'}")
        names = {codec.name.lower() for codec in media.rtp.codecs}
        if not names & wanted[media.kind]:
            allowed = ", ".join(sorted(wanted[media.kind]))
            raise OfferError(f"the {media.kind} section offers none of the codecs the relay uses ({allowed})")
        kinds.append(media.kind)
        if media.kind == "video":
            video_codecs = frozenset(names)
        else:
            audio_codecs = frozenset(names)
    if not kinds:
        raise OfferError("the offer has no audio or video section")
    _check_bundle(description)
    return Offer(sdp=text, kinds=tuple(kinds), video_codecs=video_codecs, audio_codecs=audio_codecs)


def _check_bundle(description: sdp.SessionDescription) -> None:
    """A BUNDLE group may name only the offer's own media sections (aiortc fails obscurely otherwise)."""
    mids = {media.rtp.muxId for media in description.media}
    for group in description.group:
        if group.semantic == "BUNDLE" and not {str(item) for item in group.items} <= mids:
            raise OfferError("the BUNDLE group names a media section the offer does not have")
