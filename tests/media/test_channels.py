"""Interpretation channels end to end over real HTTP: aiortc interpreters publish marker tones (one pitch each) into
a channel, aiortc listeners decode what they get, and the app's relay control chooses who is on air."""

from __future__ import annotations

import asyncio
import json
import time

import httpx
import pytest
from av import AudioFrame

from realtime.media.app import create_relay_app
from realtime.media.config import RelaySettings
from realtime.media.control import LocalRelayControl
from realtime.media.policy import signed_policy
from realtime.media.relay import MAX_INTERPRETERS, Relay
from realtime.media.status import stream_status
from server.streams.relay_control import HttpRelayControl
from server.streams.tokens import PublishTokens, control_token, interpreter_pass, viewer_pass
from tests.media.clients import (
    Peer,
    RtpSeen,
    SignallingFailed,
    audio_frames,
    publish,
    record_rtp,
    video_frames,
    wait_connected,
    watch,
)
from tests.media.synthetic import PatternTrack, ToneTrack, hear
from tests.support.media import SECRET, wait_for
from tests.support.servers import ThreadedServer

pytestmark = pytest.mark.integration

CHANNEL = "12_ja"
FIRST, SECOND = "a101", "a102"  # the booth's two interpreters
PITCH = {FIRST: 400, SECOND: 1200}
# Frames a listener's decoder takes to settle on the new voice after a handover: Opus predicts each frame's band
# energies from the one before, so the first packets of another encoder fade in over some 60 ms (never silence).
TRANSITION = 6


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
        loudness = [round(hear(frame).rms) for _, frame in heard_after[: settled + 5]]
        assert switched < 25, heard  # within half a second
        assert heard[settled:] == [SECOND] * (len(heard) - settled), heard
        assert min(loudness) > 100, loudness  # never silent meanwhile (a steady tone is some 4000)
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

    wrong = await live_client.delete(new.location, headers={"Authorization": f"Bearer {interpreting(SECOND)}"})
    other = await live_client.delete(new.location, headers={"Authorization": f"Bearer {interpreting(FIRST, '12_ko')}"})
    done = await live_client.delete(new.location, headers={"Authorization": f"Bearer {interpreting(FIRST)}"})
    assert (wrong.status_code, other.status_code, done.status_code) == (404, 401, 200)  # only one's own
    assert (await control.status(CHANNEL))["publishers"] == []
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
        ("/whep/12345678901234567890_ja", viewer_pass(SECRET, "12345678901234567890_ja", "d", expires_at=2**40), 404),
    ],
)
async def test_a_channel_refuses_the_wrong_pass_and_a_malformed_key(
    live_client: httpx.AsyncClient, tokens: PublishTokens, relay: Relay, path: str, token: str | None, status: int
) -> None:
    bearer = tokens.token(path.split("/")[2]) if token == "floor" else token
    publishing = path.startswith("/whip")
    with pytest.raises(SignallingFailed) as refused:
        if publishing:
            await publish(live_client, path, bearer, ToneTrack(400))
        else:
            await watch(live_client, path, bearer, kinds=("audio",))

    assert refused.value.response.status_code == status
    assert relay.channels == {}


async def test_video_offered_on_a_channel_is_refused_with_a_reason(
    live_client: httpx.AsyncClient, relay: Relay
) -> None:
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


@pytest.mark.slow
async def test_after_a_relay_restart_interpreters_reconnect_and_the_on_air_account_is_asserted_again(
    settings: RelaySettings, tokens: PublishTokens
) -> None:
    before = ThreadedServer(create_relay_app(settings, policy=signed_policy(SECRET, tokens)))
    before.start()
    async with httpx.AsyncClient(base_url=before.url, timeout=20) as client:
        control = control_of(client)
        await control.set_on_air(CHANNEL, FIRST)
        peers = [await interpreter(client, FIRST), await interpreter(client, SECOND), await listener(client, "d")]
        heard_before = voices(await audio_frames(peers[2].tracks["audio"], seconds=1.5))
        before.stop()  # the relay vanishes as in a crash: no goodbye reaches the peers
        for peer in peers:
            await peer.close()

        after = ThreadedServer(create_relay_app(settings, policy=signed_policy(SECRET, tokens)), port=before.port)
        after.start()
        try:
            forgotten = await control.status(CHANNEL)
            first, second = await interpreter(client, FIRST), await interpreter(client, SECOND)
            audience = await listener(client, "d")
            unasserted = await audio_frames(audience.tracks["audio"], seconds=1.0)
            await control.set_on_air(CHANNEL, SECOND)  # what the app does when the consoles report back
            heard_after = voices(await audio_frames(audience.tracks["audio"], seconds=1.5))
            status = await control.status(CHANNEL)
            for peer in (first, second, audience):
                await peer.close()
        finally:
            after.stop()

    assert heard_before[-40:] == [FIRST] * 40
    assert (forgotten["on_air"], forgotten["publishers"]) == (None, [])
    assert unasserted == []  # nobody on air on a fresh relay: silence, not both voices
    assert heard_after[-40:] == [SECOND] * 40
    assert (status["live"], status["on_air"], status["publishers"]) == (True, SECOND, [FIRST, SECOND])


async def test_the_relay_in_the_apps_process_answers_the_same_control_calls(relay: Relay) -> None:
    control = LocalRelayControl(relay)

    await control.set_on_air(CHANNEL, FIRST)
    await control.set_on_air(CHANNEL, FIRST)  # idempotent
    waiting = await control.status(CHANNEL)
    await control.set_on_air(CHANNEL, None)

    assert waiting == {
        "session_key": CHANNEL,
        "live": False,
        "on_air": FIRST,
        "publishers": [],
        "viewers": 0,
        "bitrate": 0,
        "packets": 0,
        "switches": 0,
        "recording": None,  # this relay records nothing (RelaySettings.record is off)
        "recording_bytes": 0,
        "recording_message": "",
        "origin": None,  # this relay ingests the channel itself: no edge pulls it from an origin
        "edge": 0,  # and no edge relay pulls it from here
    }
    assert (await control.status(CHANNEL))["on_air"] is None
    assert "mode" in await control.status("12")  # the floor's status is as it was
    for wrong in ("12", "12_", "keynote"):
        with pytest.raises(ValueError, match="not an interpretation channel"):
            await control.set_on_air(wrong, FIRST)


@pytest.mark.parametrize(
    ("key", "body", "bearer", "status"),
    [
        (CHANNEL, {"account": "a\x00b"}, "control", 400),
        (CHANNEL, {"account": "a" * 129}, "control", 400),
        (CHANNEL, {"account": 12}, "control", 400),
        (CHANNEL, {"account": ""}, "control", 400),
        (CHANNEL, {}, "control", 400),
        (CHANNEL, ["a1"], "control", 400),
        (CHANNEL, "not json", "control", 400),
        ("12", {"account": "a1"}, "control", 404),
        ("12_x1", {"account": "a1"}, "control", 404),
        (CHANNEL, {"account": "a1"}, None, 401),
        (CHANNEL, {"account": "a1"}, "nope", 403),
        (CHANNEL, {"account": "a1"}, interpreter_pass(SECRET, CHANNEL, "a1", expires_at=2**40), 403),
    ],
)
async def test_only_the_app_puts_someone_on_air_and_bad_input_is_refused(
    client: httpx.AsyncClient, relay: Relay, key: str, body: object, bearer: str | None, status: int
) -> None:
    token = control_token(SECRET) if bearer == "control" else bearer
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    content = body if isinstance(body, str) else json.dumps(body)

    response = await client.put(f"/relay/channels/{key}/on-air", content=content, headers=headers)

    assert response.status_code == status
    assert response.text.strip()
    assert relay.on_air == {}


async def test_a_crowd_of_interpreters_is_capped_per_channel(live_client: httpx.AsyncClient, relay: Relay) -> None:
    crowd = [
        await publish(live_client, f"/whip/{CHANNEL}", interpreting(f"a{n}"), ToneTrack(400))
        for n in range(MAX_INTERPRETERS)
    ]
    with pytest.raises(SignallingFailed) as refused:
        await publish(live_client, f"/whip/{CHANNEL}", interpreting("a99"), ToneTrack(400))
    again = await publish(live_client, f"/whip/{CHANNEL}", interpreting("a0"), ToneTrack(400))  # one of them

    assert refused.value.response.status_code == 409
    assert "interpreters connected already" in refused.value.response.text
    assert len(relay.channels[CHANNEL].publishers) == MAX_INTERPRETERS
    for peer in [*crowd, again]:
        await peer.close()


@pytest.mark.unit
def test_the_channels_timeline_runs_on_across_voices_silences_and_clock_jumps() -> None:
    from realtime.media.channels import ChannelTimeline

    now = [100.0]
    timeline = ChannelTimeline(clock=lambda: now[0])
    first, second = object(), object()

    def speak(voice: object, timestamp: int, seconds: float = 0.02) -> int:
        now[0] += seconds
        return timeline.stamp(voice, timestamp)

    opening = [speak(first, 5000 + 960 * n) for n in range(3)]
    handover = [speak(second, 777_000 + 960 * n) for n in range(2)]  # another clock altogether
    after_silence = speak(first, 5000 + 960 * 3, seconds=2.0)  # nobody on air for two seconds
    discontinuous = speak(first, 5000 + 960 * 3 + 2880)  # DTX: 60 ms in one packet
    jumped = speak(first, 2**31)  # a publisher's clock leaps: as if one frame passed

    assert opening == [0, 960, 1920]
    assert handover == [2880, 3840]
    assert after_silence >= 3840 + 2 * 48000 - 960
    assert discontinuous == after_silence + 2880
    assert jumped == discontinuous + 2880
    assert timeline.switches == 2
