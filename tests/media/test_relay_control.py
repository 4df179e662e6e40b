"""The app's relay control client against a relay process (``podium relay``'s app served by uvicorn in a thread):
status, play, stop, with the control token; refusals as domain errors with messages."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from realtime.media.app import create_relay_app
from realtime.media.config import RelaySettings
from server.errors import Conflict, InvalidInput
from server.streams.relay_control import HttpRelayControl, RelayUnavailable
from tests.media.recordings import make_video
from tests.support.media import SECRET
from tests.support.ports import free_port
from tests.support.servers import ThreadedServer

pytestmark = pytest.mark.integration

SESSION = "41"


@pytest.fixture
def relay_process(settings: RelaySettings, tmp_path: Path) -> Iterator[ThreadedServer]:
    media = tmp_path / "media"
    media.mkdir()
    make_video(media / "s41-address.mp4", seconds=3, audio=False)
    server = ThreadedServer(create_relay_app(replace(settings, media_dir=media)))
    server.start()
    yield server
    server.stop()


async def test_the_app_plays_and_stops_a_recording_on_a_relay_process(relay_process: ThreadedServer) -> None:
    control = HttpRelayControl(relay_process.url, SECRET)

    before = await control.status(SESSION)
    started = await control.play(SESSION, "s41-address.mp4")
    await asyncio.sleep(0.6)
    playing = await control.status(SESSION)
    with pytest.raises(Conflict):
        await control.play(SESSION, "s41-address.mp4")
    stopped = await control.stop_playback(SESSION)
    after = await control.status(SESSION)

    assert (before["live"], before["mode"], before["viewers"]) == (False, None, 0)
    assert (started["mode"], started["duration"]) == ("playback", 3.0)
    assert playing["mode"] == "playback" and 0.2 <= playing["position"] <= 1.5
    assert stopped is True
    assert after["mode"] is None
    assert await control.stop_playback(SESSION) is False
    assert await control.stop(SESSION) is False  # no publisher to stop


@pytest.mark.parametrize("name", ["missing.mp4", "../../etc/passwd", "s41 address.mp4"])
async def test_a_file_the_relay_cannot_play_is_refused_with_a_reason(relay_process: ThreadedServer, name: str) -> None:
    control = HttpRelayControl(relay_process.url, SECRET)

    with pytest.raises(InvalidInput) as refused:
        await control.play(SESSION, name)

    assert refused.value.message.startswith("The relay could not play the recording: ")
    assert (await control.status(SESSION))["mode"] is None


async def test_a_wrong_secret_or_no_relay_answers_unavailable(relay_process: ThreadedServer) -> None:
    forged = HttpRelayControl(relay_process.url, "another-secret")
    nowhere = HttpRelayControl(f"http://127.0.0.1:{free_port()}", SECRET, timeout=1.0)

    for control in (forged, nowhere):
        with pytest.raises(RelayUnavailable):
            await control.status(SESSION)
        with pytest.raises(RelayUnavailable):
            await control.play(SESSION, "s41-address.mp4")
    assert (await HttpRelayControl(relay_process.url, SECRET).status(SESSION))["mode"] is None


async def test_the_relay_lists_the_streams_with_media_in_one_call(relay_process: ThreadedServer) -> None:
    control = HttpRelayControl(relay_process.url, SECRET)

    before = await control.live()
    await control.play(SESSION, "s41-address.mp4")
    await asyncio.sleep(0.3)
    playing = await control.live()
    await control.stop_playback(SESSION)
    after = await control.live()

    # What the session phases read (server/phases): a recording playing is media viewers get.
    assert (before, playing, after) == (set(), {SESSION}, set())
    with pytest.raises(RelayUnavailable):
        await HttpRelayControl(relay_process.url, "another-secret").live()


async def test_the_live_streams_of_several_relays_are_gathered(
    relay_process: ThreadedServer, settings: RelaySettings, tmp_path: Path
) -> None:
    media = tmp_path / "second"
    media.mkdir()
    make_video(media / "s42-address.mp4", seconds=3, audio=False)
    second = ThreadedServer(create_relay_app(replace(settings, media_dir=media)))
    second.start()
    try:
        await HttpRelayControl(relay_process.url, SECRET).play(SESSION, "s41-address.mp4")
        await HttpRelayControl(second.url, SECRET).play("42", "s42-address.mp4")
        away = f"http://127.0.0.1:{free_port()}"
        both = HttpRelayControl(relay_process.url, SECRET, live_urls=(relay_process.url, second.url))
        one_away = HttpRelayControl(relay_process.url, SECRET, live_urls=(away, second.url))
        all_away = HttpRelayControl(relay_process.url, SECRET, live_urls=(away,))

        # Behind nginx a call without a session reaches one relay: PODIUM_RELAY_LIVE_URLS names each one.
        assert await both.live() == {SESSION, "42"}
        assert await one_away.live() == {"42"}
        with pytest.raises(RelayUnavailable):
            await all_away.live()
    finally:
        second.stop()
