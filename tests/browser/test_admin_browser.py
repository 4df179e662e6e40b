"""An organiser removes a person from their event, and an instance admin disables an account, in Chromium."""

from __future__ import annotations

from typing import Any

import pytest

from server.accounts.admin import grant_admin
from server.accounts.models import Role
from server.db import Database
from server.events.services import get_event
from tests.support import factories
from tests.support.browser import assert_accessible, signed_in_page
from tests.support.factories import ONLINE
from tests.support.servers import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.integration]


async def test_organiser_removes_a_person_and_the_admin_disables_an_account(
    browser: Any, live_server: LiveServer, demo_event: str, database: Database
) -> None:
    async with database.session() as db:
        event = await get_event(db, slug=demo_event)
        organiser = await factories.person(db, event, "Desk Organiser", role=Role.organiser)
        delegate = await factories.person(db, event, "Ayu Online", attendance=ONLINE)
        await grant_admin(db, email=organiser.account.email)
    page, problems = await signed_in_page(browser, live_server.url, organiser.token)

    await page.goto(f"{live_server.url}/{demo_event}/organiser")
    await assert_accessible(page)
    row = page.locator(f"tr[data-account='{delegate.account.id}']")
    async with page.expect_navigation():
        await row.get_by_role("button", name="Remove from this event").click()
    assert await row.locator("td").nth(3).inner_text() == "Cancelled"
    assert await row.get_by_role("button").count() == 0

    await page.goto(f"{live_server.url}/account")
    async with page.expect_navigation():
        await page.get_by_role("link", name="Accounts of this instance").click()
    await page.fill("#account-query", "ayu.online")
    async with page.expect_navigation():
        await page.get_by_role("button", name="Find").click()
    await assert_accessible(page)
    async with page.expect_navigation():
        listed = page.locator(f"tr[data-account='{delegate.account.id}']")
        await listed.get_by_role("button", name="Disable").click()
    assert await page.locator(f"tr[data-account='{delegate.account.id}'] .account-state").inner_text() == "Disabled"
    assert await page.input_value("#account-query") == "ayu.online"
    await assert_accessible(page)
    assert problems.messages == []
