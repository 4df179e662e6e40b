"""An instance admin creates an event in Chromium, sees it as a draft, fixes a bad field, publishes it, and the
public programme shows its logo."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from server.accounts.admin import grant_admin
from server.db import Database
from server.events.services import get_event
from tests.support import factories
from tests.support.browser import assert_accessible, signed_in_page
from tests.support.event_forms import PNG
from tests.support.servers import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.integration]


async def test_an_admin_creates_and_publishes_an_event(
    browser: Any, live_server: LiveServer, demo_event: str, database: Database, tmp_path: Path
) -> None:
    async with database.session() as db:
        event = await get_event(db, slug=demo_event)
        admin = await factories.person(db, event, "Site Admin")
        await grant_admin(db, email=admin.account.email)
    logo = tmp_path / "logo.png"
    logo.write_bytes(PNG)
    page, problems = await signed_in_page(browser, live_server.url, admin.token)

    await page.goto(f"{live_server.url}/account")
    async with page.expect_navigation():
        await page.get_by_role("link", name="Create an event").click()
    await assert_accessible(page)
    await page.fill("#event-title", "Mekong Forum 2027")
    assert await page.input_value("#event-slug") == "mekong-forum-2027"  # suggested as the name is typed
    await page.fill("#event-start_date", "2027-03-02")
    await page.fill("#event-end_date", "2027-03-03")
    await page.fill("#event-timezone", "Asia/Phnom_Penh")
    await page.check("#event-language-km")
    await page.set_input_files("#event-logo", str(logo))
    await page.fill("#event-primary_color", "blue")
    async with page.expect_navigation():
        await page.evaluate("document.querySelector('form.event-form').noValidate = true")
        await page.get_by_role("button", name="Create the event").click()
    assert await page.locator("[data-field='primary_color'] .field-error").inner_text() == (
        "Please give a colour as # and six hexadecimal digits, such as #1f6feb."
    )
    assert await page.input_value("#event-title") == "Mekong Forum 2027"
    await assert_accessible(page)
    problems.messages.clear()  # the refused form's 400, on purpose
    await page.fill("#event-primary_color", "#0b6e4f")
    await page.set_input_files("#event-logo", str(logo))
    async with page.expect_navigation():
        await page.get_by_role("button", name="Create the event").click()

    assert page.url == f"{live_server.url}/mekong-forum-2027/organiser/event"
    assert await page.locator(".event-state").get_attribute("data-state") == "draft"
    await assert_accessible(page)
    async with page.expect_navigation():
        await page.get_by_role("button", name="Publish the event").click()
    assert await page.locator(".event-state").get_attribute("data-state") == "published"

    visitor = await (await browser.new_context(locale="en-GB")).new_page()
    await visitor.goto(f"{live_server.url}/mekong-forum-2027/")
    assert await visitor.locator("header img.event-logo").get_attribute("alt") == "Mekong Forum 2027"
    assert (
        await visitor.evaluate("getComputedStyle(document.documentElement).getPropertyValue('--event-primary').trim()")
        == "#0b6e4f"
    )
    await assert_accessible(visitor)
    assert problems.messages == []
