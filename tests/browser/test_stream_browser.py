"""A stream in Chromium end to end: a speaker publishes with the fake camera through the studio page (WHIP),
and a delegate who joins after the stream started watches it on the room page (WHEP) and decodes frames.

The app and the relay share one origin here, as nginx gives them in production."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from server.accounts.models import Role
from server.db import Database
from tests.support import factories
from tests.support.browser import assert_accessible
from tests.support.stream_site import WAIT, StreamStage, frames_decoded, open_as

pytestmark = [pytest.mark.browser, pytest.mark.integration]


async def test_a_speaker_goes_live_in_the_studio_and_a_late_viewer_decodes_frames(
    stage: StreamStage, media_browser: Any
) -> None:
    from playwright.async_api import expect

    studio, studio_problems = await open_as(media_browser, stage, stage.speaker, "studio")
    await studio.wait_for_selector("#studio-camera option:nth-child(2)", state="attached", timeout=WAIT)
    assert await studio.locator("#studio-camera").input_value() != ""
    await studio.get_by_role("button", name="Go live").click()
    await studio.wait_for_selector("#studio[data-state='live']", timeout=WAIT)
    await asyncio.sleep(1)  # the stream has been running for a while when the viewer arrives

    room, room_problems = await open_as(media_browser, stage, stage.delegate, "room")
    player = room.locator("#stream")
    await room.wait_for_selector("#stream[data-state='live']", timeout=WAIT)
    assert await room.locator("#stream video").evaluate("(video) => video.muted") is True
    first = await frames_decoded(room)
    await asyncio.sleep(1.5)
    later = await frames_decoded(room)
    assert 0 < first < later

    await room.get_by_role("button", name="Unmute sound").click()
    assert await room.locator("#stream video").evaluate("(video) => video.muted") is False

    # The moderator console shows the stream live with its one viewer.
    console, console_problems = await open_as(media_browser, stage, stage.moderator, "moderate")
    await expect(console.locator("#stream-panel")).to_have_attribute("data-state", "live", timeout=WAIT)
    await expect(console.locator("[data-stream='viewers']")).to_have_text("1", timeout=WAIT)
    await expect(console.locator("[data-stream='whip-url']")).to_have_text(f"{stage.site.url}/whip/{stage.session.id}")

    # The speaker stops: the viewer is told the stream is offline.
    await studio.get_by_role("button", name="Stop").click()
    await studio.wait_for_selector("#studio[data-state='stopped']", timeout=WAIT)
    await expect(player).to_have_attribute("data-state", "offline", timeout=WAIT)

    assert studio_problems.messages == []
    assert room_problems.messages == []
    assert console_problems.messages == []


async def test_the_console_shows_copies_and_rotates_the_publish_token(stage: StreamStage, media_browser: Any) -> None:
    from playwright.async_api import expect

    console, problems = await open_as(media_browser, stage, stage.moderator, "moderate")
    await console.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=stage.site.url)
    await console.get_by_text("Publish with OBS Studio or an encoder (WHIP)").click()
    token = console.locator("code[data-stream='token']")
    await expect(token).to_be_hidden()
    await console.get_by_role("button", name="Show").click()
    await expect(token).to_be_visible()
    old = await token.text_content()
    assert old and old.startswith("0.")
    await console.locator("[data-copy='token']").click()
    await expect(console.locator("[data-stream='copied']")).to_have_text("Copied.")
    assert await console.evaluate("navigator.clipboard.readText()") == old
    await assert_accessible(console)

    await console.get_by_text("Rotate the token").click()
    await console.get_by_role("button", name="Rotate now").click()
    await console.wait_for_url(f"**/{stage.session.code}/moderate#stream-panel")
    await console.get_by_text("Publish with OBS Studio or an encoder (WHIP)").click()
    await console.get_by_role("button", name="Show").click()
    await expect(token).not_to_have_text(old or "")
    new = await token.text_content()
    assert new and new.startswith("1.")

    studio, studio_problems = await open_as(media_browser, stage, stage.speaker, "studio")
    assert await studio.locator("#studio").get_attribute("data-token") == new
    assert problems.messages == []
    assert studio_problems.messages == []


async def test_an_organiser_uploads_a_video_address_and_the_moderators_play_reaches_a_viewer(
    stage: StreamStage, media_browser: Any, database: Database, tmp_path: Any
) -> None:
    from playwright.async_api import expect

    from tests.media.recordings import make_video

    async with database.session() as db:
        event = await factories.event_by_slug(db, stage.event.slug)
        organiser = await factories.person(db, event, "Organiser One", role=Role.organiser)
    video = make_video(tmp_path / "Congratulatory address.mp4", seconds=8)

    desk, desk_problems = await open_as(media_browser, stage, organiser, "recording")
    await desk.locator("#recording-video").set_input_files(str(video))
    await desk.get_by_role("button", name="Upload").click()
    await expect(desk.locator("#recording-file")).to_have_text("Congratulatory address.mp4", timeout=WAIT)
    await assert_accessible(desk)

    room, room_problems = await open_as(media_browser, stage, stage.delegate, "room")
    console, console_problems = await open_as(media_browser, stage, stage.moderator, "moderate")
    await console.get_by_role("tab", name="Recording").click()
    await console.get_by_role("button", name="Play the recording").click()
    await expect(console.locator("#recording-panel")).to_have_attribute("data-state", "playing", timeout=WAIT)

    # The viewer, who joined before anything played, sees the recording: frames keep being decoded.
    await room.wait_for_selector("#stream[data-state='live']", timeout=WAIT)
    first = await frames_decoded(room)
    await asyncio.sleep(1.5)
    assert 0 < first < await frames_decoded(room)
    size = await room.locator("#stream video").evaluate("(video) => [video.videoWidth, video.videoHeight]")
    assert size == [320, 240]

    await console.get_by_role("button", name="Stop the recording").click()
    await expect(console.locator("[data-recording='message']")).to_have_text(
        "The recording was stopped; the room is live.", timeout=WAIT
    )
    await expect(room.locator("#stream")).to_have_attribute("data-state", "offline", timeout=WAIT)

    assert desk_problems.messages == []
    assert room_problems.messages == []
    assert console_problems.messages == []
