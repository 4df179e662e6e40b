"""An organiser writes to the online delegates, previews the mail and watches it go out, in Chromium."""

from __future__ import annotations

from typing import Any

import pytest

from server.accounts.models import Role
from server.db import Database
from server.events.services import get_event
from tests.support import factories
from tests.support.browser import assert_accessible, signed_in_page
from tests.support.factories import ONLINE, ONSITE
from tests.support.servers import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.integration]


async def test_organiser_previews_sends_and_watches_a_message_go_out(
    browser: Any, live_server: LiveServer, demo_event: str, database: Database
) -> None:
    async with database.session() as db:
        event = await get_event(db, slug=demo_event)
        organiser = await factories.person(db, event, "Desk Organiser", role=Role.organiser)
        for name in ("Ayu Online", "Budi Online"):
            await factories.person(db, event, name, attendance=ONLINE)
        await factories.person(db, event, "Citra Onsite", attendance=ONSITE)
    page, problems = await signed_in_page(browser, live_server.url, organiser.token)

    await page.goto(f"{live_server.url}/{demo_event}/organiser/audit")
    async with page.expect_navigation():
        await page.get_by_role("link", name="Messages").click()
    await assert_accessible(page)
    async with page.expect_navigation():
        await page.get_by_role("link", name="New message").click()
    await page.select_option("#segment", "online")
    await page.fill("#subject", "Stream link")
    await page.fill("#body", "The stream opens at nine.")
    async with page.expect_navigation():
        await page.get_by_role("button", name="Preview").click()
    await assert_accessible(page)
    assert await page.locator("#recipient-count").get_attribute("data-count") == "2"
    assert (await page.locator(".mail-body").first.inner_text()).startswith("The stream opens at nine.")
    async with page.expect_navigation():
        await page.get_by_role("button", name="Send to 2 people").click()
    await assert_accessible(page)
    # The page follows the app's delivery loop until both mails are out, then shows each recipient's status.
    await page.wait_for_selector("#progress[data-done='true']", timeout=20_000)
    await page.wait_for_function(
        "document.querySelectorAll(\"#recipients tbody tr[data-status='sent']\").length === 2", timeout=10_000
    )
    assert await page.locator("#progress").inner_text() == "Sent 2 of 2, failed 0."
    assert await page.locator("#progress-hint").count() == 0
    await assert_accessible(page)
    await page.goto(f"{live_server.url}/{demo_event}/organiser/messages")
    assert await page.locator("#message-log tbody tr td[data-count='sent']").inner_text() == "2"
    assert problems.messages == []
