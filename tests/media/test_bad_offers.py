"""A corpus of malformed and unservable SDP offers: each gets a clear 4xx, and the relay keeps serving."""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator

import httpx
import pytest
from aiortc import RTCPeerConnection

from realtime.media.relay import Relay
from server.streams.tokens import PublishTokens, viewer_pass
from tests.media.clients import auth, offline_peer
from tests.support.media import SECRET

pytestmark = pytest.mark.integration

SESSION = "workshop"


@pytest.fixture
async def peers() -> AsyncIterator[list[RTCPeerConnection]]:
    created: list[RTCPeerConnection] = []
    yield created
    for pc in created:
        await pc.close()


async def offer_from(peers: list[RTCPeerConnection], kinds: tuple[str, ...], direction: str) -> str:
    pc = offline_peer()
    peers.append(pc)
    for kind in kinds:
        pc.addTransceiver(kind, direction=direction)
    await pc.setLocalDescription(await pc.createOffer())
    return str(pc.localDescription.sdp)


def without(sdp: str, prefix: str) -> str:
    return "".join(line for line in sdp.splitlines(keepends=True) if not line.startswith(prefix))


def publish_corpus(good: str, recv_only: str) -> dict[str, str]:
    video_only = good[good.index("m=video") :]
    header = good[: good.index("m=audio")]
    return {
        "empty": "",
        "prose": "hello, I would like to publish please",
        "version only": "v=0\r\n",
        "no media": header,
        "data channel only": header
        + "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\n"
        + "a=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuv\r\na=fingerprint:sha-256 00:11\r\n",
        "no ice credentials": without(without(good, "a=ice-ufrag"), "a=ice-pwd"),
        "no fingerprint": without(good, "a=fingerprint"),
        "fingerprint without value": re.sub(r"a=fingerprint:[^\r\n]*", "a=fingerprint:sha-256", good),
        "no rtcp-mux": without(good, "a=rtcp-mux"),
        "no mid": without(good, "a=mid"),
        "receive-only publisher": recv_only,
        "unknown codecs only": header + re.sub(r"(VP8|H264|rtx)/90000", "VP9/90000", video_only),
        "media line garbage": re.sub(r"m=video \d+", "m=video nine", good, count=1),
        "payload type out of range": re.sub(r"(m=video \S+ \S+) (\d+)", r"\1 300", good, count=1),
        "two video sections": good + video_only,
        "many sections": header + video_only * 6,
        "truncated": good[: len(good) // 3],
        "truncated candidate": re.sub(r"a=candidate:[^\r\n]*", "a=candidate:1 1 udp", good, count=1),
        "bad setup role": good.replace("a=setup:actpass", "a=setup:sideways"),
    }


async def test_malformed_publish_offers_are_400_and_publishing_still_works(
    client: httpx.AsyncClient, tokens: PublishTokens, relay: Relay, peers: list[RTCPeerConnection]
) -> None:
    good = await offer_from(peers, ("audio", "video"), "sendonly")
    corpus = publish_corpus(good, await offer_from(peers, ("audio", "video"), "recvonly"))
    headers = auth(tokens.token(SESSION))

    answers = {
        name: (await client.post(f"/whip/{SESSION}", content=body, headers=headers)) for name, body in corpus.items()
    }

    assert {name: r.status_code for name, r in answers.items()} == dict.fromkeys(corpus, 400)
    assert all(r.text.strip() for r in answers.values())
    assert SESSION not in relay.streams
    valid = await client.post(f"/whip/{SESSION}", content=good, headers=headers)
    assert valid.status_code == 201


async def test_unservable_watch_offers_are_400(
    client: httpx.AsyncClient, peers: list[RTCPeerConnection], relay: Relay
) -> None:
    headers = auth(viewer_pass(SECRET, SESSION, "delegate", expires_at=int(time.time()) + 60))
    send_only = await offer_from(peers, ("video",), "sendonly")
    good = await offer_from(peers, ("video",), "recvonly")
    h264_only = re.sub(r"a=rtpmap:(\d+) VP8/90000", r"a=rtpmap:\1 H264/90000", good)

    statuses = [
        (await client.post(f"/whep/{SESSION}", content=body, headers=headers)).status_code
        for body in (send_only, h264_only, "v=0\r\nm=")
    ]

    assert statuses == [400, 400, 400]
    assert relay.viewer_count() == 0


async def test_oversized_and_non_utf8_offers(client: httpx.AsyncClient, tokens: PublishTokens) -> None:
    headers = auth(tokens.token(SESSION))

    huge = await client.post(f"/whip/{SESSION}", content="v=0\r\n" + "a=x\r\n" * 20_000, headers=headers)
    binary = await client.post(f"/whip/{SESSION}", content=b"v=0\r\n\xff\xfe\xfd", headers=headers)

    assert (huge.status_code, binary.status_code) == (413, 400)


def lengthened(sdp: str, attribute: str, extra: int) -> str:
    """``sdp`` with the value of its first ``attribute`` line made ``extra`` characters longer."""
    return re.sub(f"({re.escape(attribute)})", lambda found: found.group(1) + "x" * extra, sdp, count=1)


async def test_over_long_attributes_are_400_with_the_relays_own_words(
    client: httpx.AsyncClient, tokens: PublishTokens, relay: Relay, peers: list[RTCPeerConnection]
) -> None:
    good = await offer_from(peers, ("audio", "video"), "sendonly")
    headers = auth(tokens.token(SESSION))
    corpus = {
        "long mid": (lengthened(good, "a=mid:", 300), "the audio section needs an a=mid of 1 to 16 characters"),
        "bundle of unknown mids": (
            lengthened(good, "a=group:BUNDLE ", 3000),
            "the BUNDLE group names a media section the offer does not have",
        ),
        "long ice-ufrag": (
            lengthened(good, "a=ice-ufrag:", 3000),
            "the audio section's ICE credentials are longer than 256",
        ),
        "long line": (lengthened(good, "s=", 5000), "a line of the offer is longer than 4096 characters"),
    }

    answers = {
        name: await client.post(f"/whip/{SESSION}", content=body, headers=headers) for name, (body, _) in corpus.items()
    }

    assert {name: (r.status_code, r.text.strip()) for name, r in answers.items()} == {
        name: (400, message) for name, (_, message) in corpus.items()
    }
    assert SESSION not in relay.streams
    assert (await client.post(f"/whip/{SESSION}", content=good, headers=headers)).status_code == 201
