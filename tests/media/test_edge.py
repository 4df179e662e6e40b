"""An edge relay in front of an origin, both served over real HTTP in this process: the edge pulls a session once as
a WHEP client and its viewers decode it; the origin sees one viewer per edge; an interpretation channel travels the
same way; an origin that cannot be reached or refuses the edge's pass is a clear 503 for the viewer and a message
for the organiser."""

from __future__ import annotations

import asyncio
import dataclasses
import time

import httpx
import pytest

from realtime.media.app import create_relay_app
from realtime.media.config import RelaySettings
from realtime.media.edge import EdgeRelay, Origin, OriginFinder
from realtime.media.policy import signed_policy
from realtime.media.relay import Relay
from realtime.media.status import any_status
from server.streams.tokens import PublishTokens, interpreter_pass, relay_pass, viewer_pass
from tests.media.clients import (
    SignallingFailed,
    audio_frames,
    publish,
    video_frames,
    wait_connected,
    watch,
)
from tests.media.synthetic import PatternTrack, ToneTrack, hear
from tests.support.edge_relays import decoded, served
from tests.support.media import SECRET, wait_for
from tests.support.ports import free_port

pytestmark = pytest.mark.integration

KEY = "12"


def seeing(account: str, key: str = KEY, secret: str = SECRET) -> str:
    return viewer_pass(secret, key, account, expires_at=int(time.time()) + 300)


def at(origin: Origin) -> OriginFinder:
    async def find(key: str) -> Origin | None:
        return origin

    return find


async def nowhere(key: str) -> Origin | None:
    return None


def edge_settings(settings: RelaySettings, **changes: object) -> RelaySettings:
    return dataclasses.replace(settings, edge=True, edge_linger=0.5, **changes)  # type: ignore[arg-type]


@pytest.mark.slow
async def test_edge_viewers_decode_the_origins_stream_and_the_origin_counts_the_edge_once(
    settings: RelaySettings, tokens: PublishTokens
) -> None:
    origin_app = create_relay_app(settings, policy=signed_policy(SECRET, tokens))
    origin: Relay = origin_app.state.media.relay
    async with served(origin_app) as origin_url:
        edge_app = create_relay_app(edge_settings(settings), find_origin=at(Origin("origin-1", origin_url)))
        edge: EdgeRelay = edge_app.state.media.relay
        async with (
            served(edge_app) as edge_url,
            httpx.AsyncClient(base_url=origin_url, timeout=20) as to_origin,
            httpx.AsyncClient(base_url=edge_url, timeout=20) as to_edge,
        ):
            publisher = await publish(to_origin, f"/whip/{KEY}", tokens.token(KEY), PatternTrack(), ToneTrack(440))
            await wait_connected(publisher.pc)
            viewers = [
                await watch(to_edge, f"/whep/{KEY}", seeing(f"a{n}"), kinds=("video", "audio")) for n in range(3)
            ]
            for viewer in viewers:
                await wait_connected(viewer.pc)
            seen = await asyncio.gather(*(decoded(viewer, 10) for viewer in viewers))
            heard = await audio_frames(viewers[0].tracks["audio"], seconds=1)

            assert seen == [(10, (640, 360))] * 3
            assert sum(hear(frame).loud for _, frame in heard) >= 10
            at_origin = any_status(origin, KEY).as_json()
            assert (at_origin["viewers"], at_origin["edge"]) == (1, 1)  # three viewers on the edge: one at the origin
            assert at_origin["keyframe_requests"] >= 1  # the edge's viewers' requests, forwarded as PLI
            on_edge = any_status(edge, KEY).as_json()
            assert (on_edge["viewers"], on_edge["origin"], on_edge["live"]) == (3, "origin-1", True)
            assert edge.carried() == [KEY]

            for viewer in viewers:
                await to_edge.delete(viewer.location)
                await viewer.close()
            await wait_for(lambda: KEY not in origin.streams or not origin.streams[KEY].viewers)  # after the linger
            assert edge.carried() == []
            assert KEY not in edge.streams
            await publisher.close()
        await edge.close()
    await origin.close()


async def test_an_interpretation_channel_is_pulled_audio_only_with_the_voice_on_air(
    settings: RelaySettings, tokens: PublishTokens
) -> None:
    channel = f"{KEY}_ja"
    origin_app = create_relay_app(settings, policy=signed_policy(SECRET, tokens))
    origin: Relay = origin_app.state.media.relay
    async with served(origin_app) as origin_url:
        edge_app = create_relay_app(edge_settings(settings), find_origin=at(Origin("origin-1", origin_url)))
        edge: EdgeRelay = edge_app.state.media.relay
        async with (
            served(edge_app) as edge_url,
            httpx.AsyncClient(base_url=origin_url, timeout=20) as to_origin,
            httpx.AsyncClient(base_url=edge_url, timeout=20) as to_edge,
        ):
            origin.set_on_air(channel, "a101")
            booth = interpreter_pass(SECRET, channel, "a101", expires_at=int(time.time()) + 300)
            interpreter = await publish(to_origin, f"/whip/{channel}", booth, ToneTrack(1200))
            await wait_connected(interpreter.pc)
            listener = await watch(to_edge, f"/whep/{channel}", seeing("a7", channel), kinds=("audio",))
            await wait_connected(listener.pc)
            heard = await audio_frames(listener.tracks["audio"], seconds=2)

            pitches = [hear(frame).frequency for _, frame in heard if hear(frame).loud]
            assert len(pitches) >= 50
            assert abs(sorted(pitches)[len(pitches) // 2] - 1200) < 60
            status = any_status(edge, channel).as_json()
            assert (status["live"], status["origin"], status["viewers"]) == (True, "origin-1", 1)
            assert any_status(origin, channel).as_json()["edge"] == 1
            await listener.close()
            await interpreter.close()
        await edge.close()
    await origin.close()


async def test_an_origin_refusing_the_edges_forged_pass_is_a_503_and_a_message(
    settings: RelaySettings, tokens: PublishTokens
) -> None:
    origin_app = create_relay_app(settings, policy=signed_policy(SECRET, tokens))
    async with served(origin_app) as origin_url:
        # An edge whose secret key is not the deployment's: its relay pass is a forgery to the origin.
        forger = edge_settings(settings, secret_key="not-the-deployments-secret")
        edge_app = create_relay_app(forger, find_origin=at(Origin("origin-1", origin_url)))
        edge: EdgeRelay = edge_app.state.media.relay
        async with (
            httpx.AsyncClient(base_url=origin_url, timeout=20) as to_origin,
            httpx.AsyncClient(transport=httpx.ASGITransport(app=edge_app), base_url="http://edge.test") as to_edge,
        ):
            forged = relay_pass("not-the-deployments-secret", "edge-x", int(time.time()) + 60)
            refused = await to_origin.post(
                f"/whep/{KEY}", content="v=0\r\n", headers={"Authorization": f"Bearer {forged}"}
            )
            with pytest.raises(SignallingFailed) as failed:
                await watch(to_edge, f"/whep/{KEY}", seeing("a1", secret="not-the-deployments-secret"))

        assert refused.status_code == 401
        answer = failed.value.response
        assert (answer.status_code, answer.headers["retry-after"]) == (503, "10")
        assert answer.text == "this relay cannot pull the session from its origin now; try again shortly\n"
        assert edge.message == (
            "the origin relay origin-1 refused this edge's relay pass (401): the relays must share PODIUM_SECRET_KEY"
        )
        assert edge.carried() == [] and not edge.streams
        await edge.close()
    await origin_app.state.media.relay.close()


async def test_an_unreachable_or_missing_origin_is_a_503_and_a_message_and_an_edge_takes_no_publisher(
    settings: RelaySettings, tokens: PublishTokens
) -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    unreachable = create_relay_app(edge_settings(settings), find_origin=at(Origin("origin-9", closed)))
    missing = create_relay_app(edge_settings(settings), find_origin=nowhere)
    answers = []
    for app in (unreachable, missing):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://edge.test") as client:
            with pytest.raises(SignallingFailed) as failed:
                await watch(client, f"/whep/{KEY}", seeing("a1"))
            with pytest.raises(SignallingFailed) as publishing:
                await publish(client, f"/whip/{KEY}", tokens.token(KEY), PatternTrack())
        answers.append((failed.value.response.status_code, failed.value.response.text, app.state.media.relay.message))
        await app.state.media.relay.close()

    assert answers == [
        (
            503,
            "this relay cannot pull the session from its origin now; try again shortly\n",
            f"cannot reach the origin relay origin-9 at {closed} (ConnectError)",
        ),
        (503, "this session is not live on any relay now; try again shortly\n", "no relay ingests stream 12 now"),
    ]
    assert (publishing.value.response.status_code, publishing.value.response.text) == (
        403,
        "this relay is an edge: it pulls streams from their origin and takes no publisher\n",
    )


@pytest.mark.slow
async def test_a_publisher_that_moves_to_another_origin_is_followed_and_the_edges_viewer_stays(
    settings: RelaySettings, tokens: PublishTokens
) -> None:
    first_app = create_relay_app(settings, policy=signed_policy(SECRET, tokens))
    second_app = create_relay_app(settings, policy=signed_policy(SECRET, tokens))
    ingesting: list[Origin] = []

    async def registry(key: str) -> Origin | None:
        return ingesting[-1] if ingesting else None

    async with served(first_app) as first_url, served(second_app) as second_url:
        edge_app = create_relay_app(edge_settings(settings), find_origin=registry)
        edge: EdgeRelay = edge_app.state.media.relay
        async with (
            served(edge_app) as edge_url,
            httpx.AsyncClient(base_url=first_url, timeout=20) as to_first,
            httpx.AsyncClient(base_url=second_url, timeout=20) as to_second,
            httpx.AsyncClient(base_url=edge_url, timeout=20) as to_edge,
        ):
            ingesting.append(Origin("origin-1", first_url))
            publisher = await publish(to_first, f"/whip/{KEY}", tokens.token(KEY), PatternTrack())
            await wait_connected(publisher.pc)
            viewer = await watch(to_edge, f"/whep/{KEY}", seeing("a1"))
            await wait_connected(viewer.pc)
            before = await video_frames(viewer.tracks["video"], seconds=2)

            await publisher.close()  # its relay went away; the encoder publishes to the other origin
            while await video_frames(viewer.tracks["video"], seconds=1):
                pass  # what was on its way plays out
            ingesting.append(Origin("origin-2", second_url))
            moved = await publish(to_second, f"/whip/{KEY}", tokens.token(KEY), PatternTrack())
            await wait_connected(moved.pc)
            await wait_for(lambda: any_status(edge, KEY).origin == "origin-2", timeout=15)
            after = await video_frames(viewer.tracks["video"], seconds=3)

            assert (len(before) > 5, len(after) > 5) == (True, True)
            assert any_status(edge, KEY).as_json()["viewers"] == 1  # the same viewer, never disconnected
            await viewer.close()
            await moved.close()
        await edge.close()
    await first_app.state.media.relay.close()
    await second_app.state.media.relay.close()
