"""The organisers' recording and replay page in Chromium, on a phone: axe-clean, no wider than 320 px, and its
forms work by keyboard (the delete box must be ticked before the button does anything)."""

from __future__ import annotations

import pytest

from server.db import Database
from server.replays.models import Replay
from server.settings import Settings
from server.streams.recording_files import RecorderState, recording_dir, write_status
from server.transport.auth import SESSION_COOKIE
from tests.support.browser import assert_accessible, chromium
from tests.support.replay_segments import made_replay
from tests.support.servers import LiveServer
from tests.support.speaker_stage import Stage

pytestmark = [pytest.mark.browser, pytest.mark.integration]


async def test_the_page_is_accessible_on_a_phone_and_delete_needs_the_box_ticked(
    database: Database, settings: Settings, stage: Stage, live_server: LiveServer
) -> None:
    await made_replay(database, settings, stage)
    folder = recording_dir(settings.media_dir, str(stage.session.id))
    write_status(folder, RecorderState.disk_full, message="No space left on device", at_ms=1)
    async with chromium() as browser:
        context = await browser.new_context(viewport={"width": 390, "height": 844})
        token = stage.people["organiser"].token
        await context.add_cookies([{"name": SESSION_COOKIE, "value": token, "url": live_server.url}])
        page = await context.new_page()
        await page.goto(live_server.url + stage.path("replay/manage"))

        await assert_accessible(page)
        await page.set_viewport_size({"width": 320, "height": 640})
        overflow = await page.evaluate("document.scrollingElement.scrollWidth - document.scrollingElement.clientWidth")
        assert overflow <= 1
        assert await page.locator("#disk-full").is_visible()

        await page.locator("#recording-delete button").click()  # not ticked: the browser keeps the form
        assert await page.evaluate("location.search") == ""
        await page.locator("#delete-confirm").focus()
        await page.keyboard.press("Space")
        await page.locator("#recording-delete button").click()
        await page.wait_for_url("**?done=deleted")
        assert await page.locator("[role=status]").first.inner_text() == "The recording and its replay were deleted."

    async with database.session() as db:
        assert await db.get(Replay, stage.session.id) is None
    assert not folder.exists()
