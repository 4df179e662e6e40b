"""An organiser moves a session from the programme grid with the keyboard alone, edits it, and releases the
change; the public page shows the new time. Every back-office page passes the accessibility checks."""

from __future__ import annotations

from typing import Any

import pytest

from server.accounts.models import Role
from server.db import Database
from server.events.services import get_event
from tests.support import factories
from tests.support.browser import assert_accessible, signed_in_page
from tests.support.servers import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.integration]


async def test_organiser_moves_a_session_by_keyboard_and_releases_it(
    browser: Any, live_server: LiveServer, demo_event: str, database: Database
) -> None:
    async with database.session() as db:
        event = await get_event(db, slug=demo_event)
        organiser = await factories.person(db, event, "Programme Organiser", role=Role.organiser)
    page, problems = await signed_in_page(browser, live_server.url, organiser.token)

    await page.goto(f"{live_server.url}/{demo_event}/organiser/programme")
    await assert_accessible(page)
    card = page.locator("article#s-OPEN")
    await card.locator("summary").focus()
    await page.keyboard.press("Enter")  # opens the Move form
    assert await card.locator("details").get_attribute("open") is not None
    await card.locator("input[name='start']").focus()
    await page.keyboard.type("1045")
    await card.locator("select[name='room']").focus()
    await page.keyboard.press("ArrowDown")
    async with page.expect_navigation():
        await card.get_by_role("button", name="Move").press("Enter")
    assert "Changed, not released" in await page.locator("article#s-OPEN .editor-state").inner_text()
    await assert_accessible(page)

    await page.goto(f"{live_server.url}/{demo_event}/organiser/programme/sessions/OPEN")
    await assert_accessible(page)
    await page.goto(f"{live_server.url}/{demo_event}/organiser/programme/list")
    await assert_accessible(page)
    await page.goto(f"{live_server.url}/{demo_event}/organiser/programme/release")
    await assert_accessible(page)
    assert await page.locator("ul[data-kind='moved'] li").count() == 1
    async with page.expect_navigation():
        await page.get_by_role("button", name="Release as version 2").click()
    assert "Release 2 is public." in await page.locator(".message-success").inner_text()
    await assert_accessible(page)

    await page.goto(f"{live_server.url}/{demo_event}/sessions/OPEN")
    assert (await page.locator("dd time").first.get_attribute("datetime") or "").startswith("2021-10-27T10:45")
    assert problems.messages == []
