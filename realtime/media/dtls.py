"""The relay's DTLS role: it answers as the DTLS server, so clients with RSA certificates can connect.

aiortc answers an ``a=setup:actpass`` offer with ``a=setup:active``, becoming the DTLS client, and its client
offers only ECDHE-ECDSA cipher suites. A peer whose certificate is RSA, like GStreamer's ``webrtcbin`` (1.22), then
ends the handshake with "no shared cipher". As the server, the relay picks the suite for its own ECDSA certificate
from everything the client offers, whatever certificate the client holds. RFC 5763 section 5 lets the answerer take
either role; an offer of ``a=setup:passive`` still makes the relay the client.
"""

from __future__ import annotations

ACTIVE = "a=setup:active"
PASSIVE = "a=setup:passive"


def answer_as_dtls_server(offer_sdp: str, answer_sdp: str) -> str:
    """``answer_sdp`` taking the DTLS server role wherever the offer left the choice to the relay."""
    if PASSIVE in offer_sdp.splitlines():  # the offerer insists on being the server
        return answer_sdp
    return answer_sdp.replace(ACTIVE, PASSIVE)
