"""The moderator console's stream panel shows each restream target's state and bitrate as the relay wrote them (the
key masked), and its link takes an organiser to the restream page; both pages load in Chromium without a console
error and pass axe."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.async_api import expect

from server.accounts.models import Role
from server.clock import utcnow
from server.db import Database
from server.restreams.keys import encrypt_key
from server.restreams.models import RestreamTarget
from server.settings import Settings
from tests.support import factories
from tests.support.browser import assert_accessible
from tests.support.stream_site import WAIT, StreamStage, open_as

pytestmark = [pytest.mark.browser, pytest.mark.integration]


async def test_the_console_shows_each_targets_state_and_bitrate_and_leads_to_the_restream_page(
    browser: Any, stage: StreamStage, database: Database, settings: Settings
) -> None:
    secret = settings.secret_key  # the stream site's too: both are the test environment's
    async with database.session() as db:
        organiser = await factories.person(db, stage.event, "Organiser Restream", role=Role.organiser)
        for label, key, state, bitrate, message in (
            ("YouTube", "youtube-key-abcd-0001", "live", 812_000, ""),
            ("Bilibili", "bilibili-key-abcd-0002", "refused", 0, "the target refused the stream key"),
        ):
            db.add(
                RestreamTarget(
                    event_id=stage.event.id or 0,
                    session_id=stage.session.id or 0,
                    label=label,
                    url="rtmp://ingest.example.org/live",
                    key_encrypted=encrypt_key(secret, key),
                    state=state,
                    bitrate=bitrate,
                    message=message,
                    state_at=utcnow(),
                )
            )
        await db.commit()

    console, problems = await open_as(browser, stage, organiser, "moderate")
    targets = console.locator("[data-stream='restreams'] li")

    await expect(targets).to_have_count(2, timeout=WAIT)
    await expect(targets.nth(0)).to_have_text("YouTube ••••0001: Live · 812 kbit/s")
    await expect(targets.nth(1)).to_have_text("Bilibili ••••0002: Key refused (the target refused the stream key)")
    await assert_accessible(console)
    await console.get_by_role("link", name="Restream to other platforms").click()
    await expect(console.get_by_role("heading", level=1)).to_contain_text("Restream")
    await expect(console.locator("#restreams [data-restream='state']").first).to_have_text("Live")
    await assert_accessible(console)
    assert "youtube-key-abcd-0001" not in await console.content()
    assert problems.messages == []
