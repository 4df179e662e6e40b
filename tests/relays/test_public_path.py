"""A relay with a public path (PODIUM_RELAY_PUBLIC_URL=/relay/edge1) answers WHEP there too, and the viewing
session's address it answers starts with it: a browser that reached it through nginx's /relay/edge1/ (the prefix
stripped or not) ends its session at that relay, not at whichever relay the site's /whep/ leads to."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from realtime.media.app import create_relay_app
from realtime.media.config import RelaySettings
from realtime.media.policy import signed_policy
from server.streams.tokens import PublishTokens, viewer_pass
from tests.media.clients import watch
from tests.support.media import SECRET, loopback_only

pytestmark = pytest.mark.integration
KEY = "12"


@pytest.fixture(autouse=True)
def loopback() -> Iterator[None]:
    with loopback_only():
        yield


@pytest.fixture
async def relay() -> AsyncIterator[httpx.AsyncClient]:
    settings = RelaySettings(secret_key=SECRET, host_addresses=("127.0.0.1",), public_url="/relay/edge1")
    app = create_relay_app(settings, policy=signed_policy(SECRET, PublishTokens(SECRET)))
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://edge1.internal:8100") as client:
        yield client
    await app.state.media.relay.close()


async def test_whep_answers_at_the_public_path_with_resource_addresses_under_it(relay: httpx.AsyncClient) -> None:
    token = viewer_pass(SECRET, KEY, "a1", expires_at=int(time.time()) + 60)
    unstripped = await watch(relay, f"/relay/edge1/whep/{KEY}", token)
    stripped = await watch(relay, f"/whep/{KEY}", token)

    ended = [(await relay.delete(peer.location)).status_code for peer in (unstripped, stripped)]
    await unstripped.close()
    await stripped.close()

    assert [
        unstripped.location.startswith(f"/relay/edge1/whep/{KEY}/"),
        stripped.location.startswith(f"/relay/edge1/whep/{KEY}/"),
    ] == [True, True]
    assert ended == [200, 200]
