"""WHIP and WHEP over HTTP: status codes, resources, authentication and limits (no media needs to flow)."""

from __future__ import annotations

import asyncio
import os
import re
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace

import httpx
import pytest
from aiortc import RTCPeerConnection
from starlette.applications import Starlette
from starlette.routing import Mount

from realtime.media.app import create_relay_app
from realtime.media.config import IceServer, RelaySettings
from realtime.media.policy import Admission, RelayPolicy, ViewerRequest, signed_policy
from realtime.media.relay import Relay
from server.rate_limits import PerMinute
from server.streams.tokens import PublishTokens, control_token, viewer_pass
from tests.media.clients import auth, offline_peer
from tests.support.media import SECRET
from tests.support.ports import port_open
from tests.support.requirements import require

pytestmark = pytest.mark.integration

SESSION = "panel-2"
WHIP = f"/whip/{SESSION}"
WHEP = f"/whep/{SESSION}"

MakeOffer = Callable[..., Awaitable[str]]


@pytest.fixture
async def make_offer() -> AsyncIterator[MakeOffer]:
    """SDP offers from real aiortc peers, closed after the test."""
    peers: list[RTCPeerConnection] = []

    async def make(kinds: tuple[str, ...] = ("audio", "video"), direction: str = "sendonly") -> str:
        pc = offline_peer()
        peers.append(pc)
        for kind in kinds:
            pc.addTransceiver(kind, direction=direction)
        await pc.setLocalDescription(await pc.createOffer())
        return str(pc.localDescription.sdp)

    yield make
    for pc in peers:
        await pc.close()


def pass_for(account: str, *, session: str = SESSION, ttl: int = 300) -> str:
    return viewer_pass(SECRET, session, account, expires_at=int(time.time()) + ttl)


async def test_whip_publish_answers_201_with_sdp_and_location(
    client: httpx.AsyncClient, tokens: PublishTokens, make_offer: MakeOffer
) -> None:
    response = await client.post(WHIP, content=await make_offer(), headers=auth(tokens.token(SESSION)))

    assert response.status_code == 201
    assert response.headers["content-type"] == "application/sdp"
    assert response.headers["location"].startswith(f"{WHIP}/")
    assert response.text.startswith("v=0")
    assert "a=recvonly" in response.text


@pytest.mark.parametrize(
    ("offered", "answered"), [("actpass", "passive"), ("active", "passive"), ("passive", "active")]
)
async def test_relay_answers_as_dtls_server_unless_the_offer_insists(
    client: httpx.AsyncClient, tokens: PublishTokens, make_offer: MakeOffer, offered: str, answered: str
) -> None:
    offer = (await make_offer()).replace("a=setup:actpass", f"a=setup:{offered}")

    response = await client.post(WHIP, content=offer, headers=auth(tokens.token(SESSION)))

    assert response.status_code == 201
    assert {line for line in response.text.splitlines() if line.startswith("a=setup:")} == {f"a=setup:{answered}"}


async def test_whip_without_token_is_401_with_a_bearer_challenge(
    client: httpx.AsyncClient, make_offer: MakeOffer
) -> None:
    response = await client.post(WHIP, content=await make_offer(), headers=auth(None))

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Bearer realm="podium-whip"'


async def test_whip_with_wrong_or_rotated_token_is_401(
    client: httpx.AsyncClient, tokens: PublishTokens, make_offer: MakeOffer
) -> None:
    other_session = await client.post(WHIP, content=await make_offer(), headers=auth(tokens.token("another")))
    old = tokens.token(SESSION)
    tokens.rotate(SESSION)
    rotated = await client.post(WHIP, content=await make_offer(), headers=auth(old))

    assert (other_session.status_code, rotated.status_code) == (401, 401)
    assert 'error="invalid_token"' in rotated.headers["www-authenticate"]


async def test_whip_second_publisher_is_409(
    client: httpx.AsyncClient, tokens: PublishTokens, make_offer: MakeOffer
) -> None:
    first = await client.post(WHIP, content=await make_offer(), headers=auth(tokens.token(SESSION)))
    second = await client.post(WHIP, content=await make_offer(), headers=auth(tokens.token(SESSION)))

    assert (first.status_code, second.status_code) == (201, 409)


async def test_whip_other_media_type_is_415(
    client: httpx.AsyncClient, tokens: PublishTokens, make_offer: MakeOffer
) -> None:
    headers = {"Authorization": f"Bearer {tokens.token(SESSION)}", "Content-Type": "application/json"}

    response = await client.post(WHIP, content=await make_offer(), headers=headers)

    assert response.status_code == 415
    assert response.headers["accept-post"] == "application/sdp"


async def test_whip_delete_ends_the_resource_once(
    client: httpx.AsyncClient, tokens: PublishTokens, make_offer: MakeOffer, relay: Relay
) -> None:
    token = tokens.token(SESSION)
    location = (await client.post(WHIP, content=await make_offer(), headers=auth(token))).headers["location"]

    unauthorised = await client.delete(location)
    deleted = await client.delete(location, headers=auth(token))
    again = await client.delete(location, headers=auth(token))

    assert (unauthorised.status_code, deleted.status_code, again.status_code) == (401, 200, 404)
    assert SESSION not in relay.streams
    republished = await client.post(WHIP, content=await make_offer(), headers=auth(token))
    assert republished.status_code == 201


async def test_whip_patch_is_405_and_options_lists_methods(
    client: httpx.AsyncClient, tokens: PublishTokens, make_offer: MakeOffer
) -> None:
    token = tokens.token(SESSION)
    location = (await client.post(WHIP, content=await make_offer(), headers=auth(token))).headers["location"]

    patch = await client.patch(location, content="a=end-of-candidates", headers=auth(token))
    options = await client.options(WHIP)

    assert patch.status_code == 405
    assert (options.status_code, options.headers["accept-post"]) == (200, "application/sdp")


def same_servers(links: list[str]) -> list[str]:
    """The links without what a TURN credential derives from the clock: its expiry and its signature."""
    return [re.sub(r'username="\d+:([^"]*)"; credential="[^"]*"', r'username="\1"', link) for link in links]


@pytest.mark.parametrize("endpoint", [WHIP, WHEP])
async def test_options_answers_200_with_the_ice_servers_of_the_post_answer(
    settings: RelaySettings, tokens: PublishTokens, make_offer: MakeOffer, endpoint: str
) -> None:
    with_turn = replace(
        settings,
        ice_servers=(IceServer(urls=("stun:stun.example.org:3478",)),),
        turn_urls=("turn:turn.example.org:3478?transport=udp",),
        turn_secret="turn-secret",
    )
    app = create_relay_app(with_turn, policy=signed_policy(SECRET, tokens))
    token = tokens.token(SESSION) if endpoint == WHIP else pass_for("delegate")
    direction = "sendonly" if endpoint == WHIP else "recvonly"
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://relay.test") as client:
        anonymous = await client.options(endpoint)
        wrong_token = await client.options(endpoint, headers={"Authorization": "Bearer not-a-token"})
        authorised = await client.options(endpoint, headers={"Authorization": f"Bearer {token}"})
        posted = await client.post(endpoint, content=await make_offer(("video",), direction), headers=auth(token))
    await app.state.media.relay.close()

    stun = '<stun:stun.example.org:3478>; rel="ice-server"'
    assert (anonymous.status_code, anonymous.headers.get_list("link")) == (200, [stun])
    assert (wrong_token.status_code, wrong_token.headers.get_list("link")) == (200, [stun])
    assert authorised.status_code == 200
    assert posted.status_code == 201
    # The same servers and user; a TURN credential names its expiry second, which may tick between the two asks.
    assert same_servers(authorised.headers.get_list("link")) == same_servers(posted.headers.get_list("link"))
    assert [link.split(";")[0] for link in authorised.headers.get_list("link")] == [
        "<stun:stun.example.org:3478>",
        "<turn:turn.example.org:3478?transport=udp>",
    ]


async def test_unknown_or_invalid_session_is_404(
    client: httpx.AsyncClient, tokens: PublishTokens, make_offer: MakeOffer
) -> None:
    bad_key = await client.post("/whip/no%20such", content=await make_offer(), headers=auth(tokens.token("no such")))
    missing_resource = await client.delete(f"{WHEP}/nothing-here")

    assert (bad_key.status_code, missing_resource.status_code) == (404, 404)


async def test_whep_watch_answers_201_and_delete_ends_it(
    client: httpx.AsyncClient, make_offer: MakeOffer, relay: Relay
) -> None:
    offer = await make_offer(("audio", "video"), "recvonly")

    response = await client.post(WHEP, content=offer, headers=auth(pass_for("delegate")))

    assert response.status_code == 201
    assert response.text.count("a=sendonly") == 2
    assert "VP8/90000" in response.text and "H264" not in response.text
    assert relay.viewer_count() == 1
    assert (await client.delete(response.headers["location"])).status_code == 200
    assert relay.viewer_count() == 0


async def test_whep_without_pass_is_401_and_expired_or_foreign_pass_too(
    client: httpx.AsyncClient, make_offer: MakeOffer
) -> None:
    offer = await make_offer(("video",), "recvonly")

    missing = await client.post(WHEP, content=offer, headers=auth(None))
    expired = await client.post(WHEP, content=offer, headers=auth(pass_for("delegate", ttl=-5)))
    foreign = await client.post(WHEP, content=offer, headers=auth(pass_for("delegate", session="other")))

    assert (missing.status_code, expired.status_code, foreign.status_code) == (401, 401, 401)


async def test_whep_refused_admission_is_403(
    relay_app: Starlette, tokens: PublishTokens, make_offer: MakeOffer
) -> None:
    async def refuse(request: ViewerRequest) -> Admission:
        return Admission(allowed=False, account="registered-elsewhere")

    relay_app.state.media.policy = RelayPolicy(verify_publish=tokens.verify, admit_viewer=refuse)
    transport = httpx.ASGITransport(app=relay_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://relay.test") as client:
        response = await client.post(WHEP, content=await make_offer(("video",), "recvonly"), headers=auth("x"))

    assert response.status_code == 403


async def test_whep_too_many_streams_for_one_account_is_429(client: httpx.AsyncClient, make_offer: MakeOffer) -> None:
    statuses = []
    for _ in range(3):  # the test relay allows two per account
        response = await client.post(
            WHEP, content=await make_offer(("video",), "recvonly"), headers=auth(pass_for("a"))
        )
        statuses.append(response.status_code)

    assert statuses == [201, 201, 429]


async def test_whep_too_many_streams_from_one_address_is_429(client: httpx.AsyncClient, make_offer: MakeOffer) -> None:
    statuses = []
    for n in range(5):  # the test relay allows four per address
        offer = await make_offer(("video",), "recvonly")
        statuses.append((await client.post(WHEP, content=offer, headers=auth(pass_for(f"d{n}")))).status_code)

    assert statuses == [201, 201, 201, 201, 429]


async def test_signalling_rate_limit_is_429(relay_app: Starlette, make_offer: MakeOffer) -> None:
    media = relay_app.state.media
    media.limiter = PerMinute(media.limiter.buckets, "signalling", 2)
    transport = httpx.ASGITransport(app=relay_app, client=("127.0.0.9", 4000))
    async with httpx.AsyncClient(transport=transport, base_url="http://relay.test") as client:
        statuses = [(await client.post(WHEP, content="v=0", headers=auth(None))).status_code for _ in range(3)]

    assert statuses == [401, 401, 429]


async def test_signalling_rate_limit_holds_over_relay_processes_sharing_redis(
    settings: RelaySettings, tokens: PublishTokens
) -> None:
    require("Redis", port_open("127.0.0.1", 6379))
    shared = replace(
        settings,
        signalling_per_ip_per_minute=3,
        redis_url=os.environ.get("PODIUM_TEST_REDIS_URL", "redis://127.0.0.1:6379/0"),
        database_url=f"sqlite+aiosqlite:///installation-{uuid.uuid4().hex}.db",  # this test's own Redis keys
    )
    relays = [create_relay_app(shared, policy=signed_policy(SECRET, tokens)) for _ in range(2)]
    statuses = []
    try:
        for n in range(6):  # alternately to each relay, from one address
            transport = httpx.ASGITransport(app=relays[n % 2], client=("127.0.0.10", 4000))
            async with httpx.AsyncClient(transport=transport, base_url="http://relay.test") as client:
                statuses.append((await client.post(WHEP, content="v=0", headers=auth(None))).status_code)
    finally:
        for app in relays:
            await app.state.media.relay.close()
            await app.state.media.limiter.buckets.close()

    assert statuses == [401, 401, 401, 429, 429, 429]


async def test_status_and_stop_need_the_control_token(
    client: httpx.AsyncClient, tokens: PublishTokens, make_offer: MakeOffer
) -> None:
    control = {"Authorization": f"Bearer {control_token(SECRET)}"}
    await client.post(WHIP, content=await make_offer(), headers=auth(tokens.token(SESSION)))

    anonymous = await client.get("/relay/status")
    wrong = await client.get("/relay/status", headers={"Authorization": "Bearer nope"})
    listing = await client.get("/relay/status", headers=control)
    one = await client.get(f"/relay/status/{SESSION}", headers=control)
    stopped = await client.post(f"/relay/streams/{SESSION}/stop", headers=control)
    stopped_again = await client.post(f"/relay/streams/{SESSION}/stop", headers=control)

    assert (anonymous.status_code, wrong.status_code, listing.status_code) == (401, 403, 200)
    assert [s["session_key"] for s in listing.json()["streams"]] == [SESSION]
    assert (one.json()["live"], one.json()["publisher_state"]) == (False, "new")
    assert (stopped.status_code, stopped_again.status_code) == (204, 404)


async def test_cors_preflight_and_answers_for_allowed_origins(
    settings: RelaySettings, tokens: PublishTokens, make_offer: MakeOffer
) -> None:
    allowed = replace(settings, cors_origins=("https://podium.example.org",))
    app = create_relay_app(allowed, policy=signed_policy(SECRET, tokens))
    origin = {"Origin": "https://podium.example.org"}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://relay.test") as client:
        preflight = await client.options(WHIP, headers=origin)
        foreign = await client.options(WHIP, headers={"Origin": "https://elsewhere.example"})
        answer = await client.post(WHIP, content=await make_offer(), headers={**auth(tokens.token(SESSION)), **origin})
    await app.state.media.relay.close()

    assert preflight.headers["access-control-allow-origin"] == "https://podium.example.org"
    assert "authorization" in preflight.headers["access-control-allow-headers"].lower()
    assert "access-control-allow-origin" not in foreign.headers
    assert "Location" in answer.headers["access-control-expose-headers"]


async def test_mounted_under_a_prefix_the_location_keeps_it(
    settings: RelaySettings, tokens: PublishTokens, make_offer: MakeOffer
) -> None:
    relay_app = create_relay_app(settings, policy=signed_policy(SECRET, tokens))
    host = Starlette(routes=[Mount("/media", app=relay_app)])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=host), base_url="http://podium.test") as client:
        response = await client.post(f"/media{WHIP}", content=await make_offer(), headers=auth(tokens.token(SESSION)))
        deleted = await client.delete(response.headers["location"], headers=auth(tokens.token(SESSION)))
    await relay_app.state.media.relay.close()

    assert response.headers["location"].startswith(f"/media{WHIP}/")
    assert deleted.status_code == 200


def test_relay_command_refuses_the_development_secret_in_production(monkeypatch: pytest.MonkeyPatch) -> None:
    from realtime.media.app import main

    monkeypatch.setenv("PODIUM_ENV", "production")
    monkeypatch.delenv("PODIUM_SECRET_KEY", raising=False)

    assert main(["--port", "1"]) == 1


async def test_peers_that_never_connect_are_dropped(
    settings: RelaySettings, tokens: PublishTokens, make_offer: MakeOffer
) -> None:
    relay_app = create_relay_app(replace(settings, connect_timeout=0.3), policy=signed_policy(SECRET, tokens))
    relay = relay_app.state.media.relay
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=relay_app), base_url="http://relay.test") as client:
        published = await client.post(WHIP, content=await make_offer(), headers=auth(tokens.token(SESSION)))
        watching = await client.post(
            WHEP, content=await make_offer(("video",), "recvonly"), headers=auth(pass_for("d"))
        )
        assert (published.status_code, watching.status_code, relay.viewer_count()) == (201, 201, 1)
        await asyncio.sleep(1.0)  # neither offerer ever takes its answer
        viewers_left, streams_left = relay.viewer_count(), dict(relay.streams)

        republished = await client.post(WHIP, content=await make_offer(), headers=auth(tokens.token(SESSION)))
    await relay.close()

    assert (viewers_left, streams_left) == (0, {})
    assert republished.status_code == 201
