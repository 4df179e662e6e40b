"""An organiser types a room's name in the event's other languages in Chromium: a tab per language (arrow keys move
between them, one panel shows at a time), the page passes axe-core, and the Japanese agenda shows the name."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import select

from server.accounts.models import Role
from server.agenda.models import Room
from server.db import Database
from server.events.services import get_event
from tests.support import factories
from tests.support.browser import assert_accessible, signed_in_page
from tests.support.servers import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.integration]


async def test_room_name_typed_in_the_japanese_tab_shows_on_the_japanese_agenda(
    browser: Any, live_server: LiveServer, demo_event: str, database: Database
) -> None:
    async with database.session() as db:
        event = await get_event(db, slug=demo_event)
        event.languages = "en,zh,ja"
        db.add(event)
        await db.commit()
        organiser = await factories.person(db, event, "Programme Organiser", role=Role.organiser)
        jade = (await db.exec(select(Room).where(Room.slug == "jade-room"))).one()
    page, _problems = await signed_in_page(browser, live_server.url, organiser.token)

    await page.goto(f"{live_server.url}/{demo_event}/organiser/programme-parts/room/{jade.id}")
    tabs = page.locator("[data-translations] [role='tab']")
    await tabs.first.wait_for()
    assert await tabs.count() == 2
    assert await page.locator("#part-name-ja").is_hidden()  # the Chinese tab is open first
    await tabs.first.focus()
    await page.keyboard.press("ArrowRight")
    assert await tabs.nth(1).get_attribute("aria-selected") == "true"
    assert await page.locator("#part-name-zh").is_hidden()
    await assert_accessible(page)
    await page.fill("#part-name-ja", "翡翠の間")
    async with page.expect_navigation():
        await page.get_by_role("button", name="Save", exact=True).click()

    await page.goto(f"{live_server.url}/{demo_event}/?lang=ja")
    options = await page.locator("#filter-room option").evaluate_all("all => all.map((o) => o.textContent.trim())")
    assert "翡翠の間" in options
