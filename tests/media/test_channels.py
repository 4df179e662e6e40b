"""Interpretation channels end to end over real HTTP: aiortc interpreters publish marker tones (one pitch each) into
a channel, aiortc listeners decode what they get, and the app's relay control chooses who is on air."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import httpx
import pytest
from av import AudioFrame

from realtime.media.relay import Relay
from realtime.media.status import stream_status
from server.streams.relay_control import HttpRelayControl
from server.streams.tokens import PublishTokens, interpreter_pass, viewer_pass
from tests.media.clients import Peer, RtpSeen, audio_frames, publish, record_rtp, wait_connected, watch
from tests.media.synthetic import ToneTrack, hear
from tests.support.media import SECRET

pytestmark = pytest.mark.integration

CHANNEL = "12_ja"
FIRST, SECOND = "a101", "a102"  # the booth's two interpreters
PITCH = {FIRST: 400, SECOND: 1200}
# Frames a listener's decoder takes to settle on the new voice after a handover: Opus predicts each frame's band
# energies from the one before, so the first packets of another encoder fade in over some 60 ms (never silence).
TRANSITION = 4


def interpreting(account: str, key: str = CHANNEL) -> str:
    return interpreter_pass(SECRET, key, account, expires_at=int(time.time()) + 300)


def listening(account: str, key: str = CHANNEL) -> str:
    return viewer_pass(SECRET, key, account, expires_at=int(time.time()) + 300)


def control_of(client: httpx.AsyncClient) -> HttpRelayControl:
    return HttpRelayControl(str(client.base_url), SECRET)


async def interpreter(client: httpx.AsyncClient, account: str, key: str = CHANNEL) -> Peer:
    return await publish(client, f"/whip/{key}", interpreting(account, key), ToneTrack(PITCH[account]))


async def listener(client: httpx.AsyncClient, account: str, key: str = CHANNEL) -> Peer:
    return await watch(client, f"/whep/{key}", listening(account, key), kinds=("audio",))


def voice(frame: AudioFrame) -> str | None:
    """Whose marker tone a decoded frame carries: the interpreter's account, or None for silence."""
    heard = hear(frame)
    if not heard.loud:
        return None
    return min(PITCH, key=lambda account: abs(PITCH[account] - heard.frequency))


def voices(frames: list[tuple[float, AudioFrame]]) -> list[str | None]:
    return [voice(frame) for _, frame in frames]


async def wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.05)


def assert_continuous(seen: list[RtpSeen]) -> None:
    """One packet after another: every sequence number once, timestamps 20 ms apart, no pause over 500 ms."""
    assert len(seen) > 50
    steps = [(b.sequence_number - a.sequence_number) % 65536 for a, b in zip(seen, seen[1:], strict=False)]
    ticks = [(b.timestamp - a.timestamp) % 2**32 for a, b in zip(seen, seen[1:], strict=False)]
    pauses = [b.at - a.at for a, b in zip(seen, seen[1:], strict=False)]
    assert set(steps) == {1}
    assert set(ticks) == {960}
    assert max(pauses) < 0.5


async def test_listeners_hear_only_the_interpreter_on_air_and_the_handover_is_seamless(
    live_client: httpx.AsyncClient, relay: Relay
) -> None:
    control = control_of(live_client)
    await control.set_on_air(CHANNEL, FIRST)  # before anyone connects: the relay keeps it
    first = await interpreter(live_client, FIRST)
    second = await interpreter(live_client, SECOND)
    listeners = [await listener(live_client, f"delegate-{n}") for n in range(2)]
    recorded = [record_rtp(peer) for peer in listeners]

    before = await asyncio.gather(*(audio_frames(peer.tracks["audio"], seconds=2.5) for peer in listeners))
    status = await control.status(CHANNEL)
    await control.set_on_air(CHANNEL, SECOND)
    after = await asyncio.gather(*(audio_frames(peer.tracks["audio"], seconds=2.0) for peer in listeners))

    assert (status["live"], status["on_air"], status["publishers"], status["viewers"]) == (
        True,
        FIRST,
        [FIRST, SECOND],
        2,
    )
    for heard_before, heard_after, seen in zip(before, after, recorded, strict=True):
        assert voices(heard_before[-60:]) == [FIRST] * 60  # the last 1.2 s before the handover
        heard = voices(heard_after)
        switched = next(n for n, who in enumerate(heard) if who != FIRST)
        settled = switched + TRANSITION
        assert switched < 25  # within half a second
        assert heard[settled:] == [SECOND] * (len(heard) - settled)
        assert min(hear(frame).rms for _, frame in heard_after[: settled + 5]) > 300  # never silent meanwhile
        assert_continuous(seen)
    assert (await control.status(CHANNEL))["on_air"] == SECOND
    for peer in [first, second, *listeners]:
        await peer.close()


async def test_nobody_on_air_is_silence_and_a_late_listener_hears_at_once(
    live_client: httpx.AsyncClient, relay: Relay
) -> None:
    control = control_of(live_client)
    first = await interpreter(live_client, FIRST)
    early = await listener(live_client, "early")
    silent = await audio_frames(early.tracks["audio"], seconds=1.5)
    await control.set_on_air(CHANNEL, FIRST)
    await audio_frames(early.tracks["audio"], seconds=1.0)

    late = await listener(live_client, "late")
    await wait_connected(late.pc)
    joined = time.monotonic()
    heard = await audio_frames(late.tracks["audio"], seconds=1.5)
    await control.set_on_air(CHANNEL, None)
    await asyncio.sleep(0.3)
    quiet = await control.status(CHANNEL)

    assert silent == [] and quiet["live"] is False and quiet["on_air"] is None
    first_loud = next(at for at, frame in heard if voice(frame) == FIRST)
    assert first_loud - joined < 1.0
    for peer in (first, early, late):
        await peer.close()


async def test_an_interpreter_connecting_again_replaces_the_old_connection(
    live_client: httpx.AsyncClient, relay: Relay
) -> None:
    control = control_of(live_client)
    await control.set_on_air(CHANNEL, FIRST)
    old = await interpreter(live_client, FIRST)
    audience = await listener(live_client, "delegate")
    await audio_frames(audience.tracks["audio"], seconds=1.0)

    new = await interpreter(live_client, FIRST)  # the console reloaded
    await wait_for(lambda: old.pc.connectionState == "closed")
    heard = voices(await audio_frames(audience.tracks["audio"], seconds=2.0))
    status = await control.status(CHANNEL)

    assert status["publishers"] == [FIRST] and status["live"] is True
    assert heard[-50:] == [FIRST] * 50
    for peer in (old, new, audience):
        await peer.close()


@pytest.mark.parametrize(
    ("path", "token", "status"),
    [
        ("/whip/12_ja", "floor", 401),  # the session's publish token does not open its channels
        ("/whip/12_ja", interpreter_pass(SECRET, "12_ko", FIRST, expires_at=2**40), 401),  # another language
        ("/whip/12_ja", interpreter_pass(SECRET, "13_ja", FIRST, expires_at=2**40), 401),  # another session
        ("/whip/12_ja", interpreter_pass(SECRET, "12_ja", FIRST, expires_at=1), 401),  # expired
        ("/whip/12_ja", viewer_pass(SECRET, "12_ja", FIRST, expires_at=2**40), 401),  # a listener's pass
        ("/whip/12_ja", None, 401),
        ("/whip/12", interpreter_pass(SECRET, "12", FIRST, expires_at=2**40), 401),  # not onto the floor either
        ("/whep/12_ja", viewer_pass(SECRET, "12", "d", expires_at=2**40), 401),  # the floor's pass
        ("/whep/12_ja", viewer_pass(SECRET, "12_ko", "d", expires_at=2**40), 401),
        ("/whip/12_x1", interpreter_pass(SECRET, "12_x1", FIRST, expires_at=2**40), 404),  # no language code
        ("/whep/12_", viewer_pass(SECRET, "12_", "d", expires_at=2**40), 404),
    ],
)
async def test_a_channel_refuses_the_wrong_pass_and_a_malformed_key(
    live_client: httpx.AsyncClient, tokens: PublishTokens, relay: Relay, path: str, token: str | None, status: int
) -> None:
    bearer = tokens.token(path.split("/")[2]) if token == "floor" else token
    publishing = path.startswith("/whip")
    refused = None
    try:
        if publishing:
            await publish(live_client, path, bearer, ToneTrack(400))
        else:
            await watch(live_client, path, bearer, kinds=("audio",))
    except Exception as exc:  # noqa: BLE001 -- SignallingFailed, asserted below
        refused = exc

    assert refused is not None and getattr(refused, "response").status_code == status  # noqa: B009
    assert relay.channels == {}


async def test_video_offered_on_a_channel_is_refused_with_a_reason(
    live_client: httpx.AsyncClient, relay: Relay
) -> None:
    from tests.media.clients import SignallingFailed
    from tests.media.synthetic import PatternTrack

    with pytest.raises(SignallingFailed) as publishing:
        await publish(live_client, f"/whip/{CHANNEL}", interpreting(FIRST), ToneTrack(400), PatternTrack())
    with pytest.raises(SignallingFailed) as watching:
        await watch(live_client, f"/whep/{CHANNEL}", listening("d"), kinds=("audio", "video"))

    for refusal in (publishing.value.response, watching.value.response):
        assert refusal.status_code == 400
        assert "audio only" in refusal.text


async def test_the_floor_goes_on_beside_its_channel(
    live_client: httpx.AsyncClient, tokens: PublishTokens, relay: Relay
) -> None:
    from tests.media.clients import video_frames
    from tests.media.synthetic import PatternTrack

    control = control_of(live_client)
    await control.set_on_air("12_ja", FIRST)
    floor = await publish(live_client, "/whip/12", tokens.token("12"), PatternTrack(), ToneTrack(1200))
    booth = await interpreter(live_client, FIRST)
    viewer = await watch(live_client, "/whep/12", listening("d", "12"), kinds=("video", "audio"))
    audience = await listener(live_client, "d")

    pictures, channel = await asyncio.gather(
        video_frames(viewer.tracks["video"], seconds=3), audio_frames(audience.tracks["audio"], seconds=3)
    )
    floor_status = await control.status("12")

    assert len(pictures) >= 30
    assert voices(channel[-50:]) == [FIRST] * 50
    assert floor_status["live"] is True and floor_status["viewers"] == 1 and "on_air" not in floor_status
    assert stream_status(relay, "12").mode == "forward"
    for peer in (floor, booth, viewer, audience):
        await peer.close()
