"""An organiser imports the pretalx example into the event in Chromium, and makes an API token."""

from __future__ import annotations

from typing import Any

import pytest

from server.accounts.models import Role
from server.db import Database
from server.events.services import get_event
from tests.support import factories
from tests.support.browser import assert_accessible, signed_in_page
from tests.support.servers import LiveServer
from tests.support.standards import PRETALX_EXAMPLE

pytestmark = [pytest.mark.browser, pytest.mark.integration]


async def test_organiser_previews_and_applies_a_pretalx_schedule_then_makes_a_token(
    browser: Any, live_server: LiveServer, demo_event: str, database: Database
) -> None:
    async with database.session() as db:
        event = await get_event(db, slug=demo_event)
        organiser = await factories.person(db, event, "Desk Organiser", role=Role.organiser)
    page, problems = await signed_in_page(browser, live_server.url, organiser.token)

    await page.goto(f"{live_server.url}/{demo_event}/organiser/audit")
    async with page.expect_navigation():
        await page.get_by_role("link", name="Import and API").click()
    await assert_accessible(page)
    await page.set_input_files("#schedule-file", str(PRETALX_EXAMPLE))
    async with page.expect_navigation():
        await page.get_by_role("button", name="Preview").click()
    await assert_accessible(page)
    assert await page.locator("tr[data-kind='session'] td").all_inner_texts() == ["36", "0", "44"]
    async with page.expect_navigation():
        await page.get_by_role("button", name="Apply").click()
    assert await page.get_by_role("status").first.inner_text() == "The schedule was imported."

    async with page.expect_navigation():
        await page.get_by_role("link", name="API tokens").click()
    await page.fill("#token-name", "Signage")
    async with page.expect_navigation():
        await page.get_by_role("button", name="Make a token").click()
    await assert_accessible(page)
    assert (await page.inner_text("#new-token")).startswith("podium_")
    async with page.expect_navigation():
        await page.get_by_role("button", name="Revoke Signage").click()
    assert await page.locator("#api-tokens tr[data-token] td").nth(3).inner_text() == "revoked"
    assert problems.messages == []
