"""The design system in Chromium: the style guide passes axe-core in the light and the dark theme, its tabs and
confirm dialog work from the keyboard, and no back-office page scrolls sideways on a 320 px phone (which is also
what a 640 px window at 200% zoom shows) or a 390 px one."""

from __future__ import annotations

from typing import Any

import pytest

from server.accounts.models import Role
from server.db import Database
from server.events.services import get_event
from server.transport.backoffice import SECTIONS
from tests.support import factories
from tests.support.browser import assert_accessible
from tests.support.servers import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.integration]

WIDE_BY = "document.scrollingElement.scrollWidth - window.innerWidth"


async def organiser_page(browser: Any, server: LiveServer, token: str, **options: Any) -> Any:
    context = await browser.new_context(locale="en-GB", **options)
    await context.add_cookies([{"name": "podium_session", "value": token, "url": server.url}])
    return await context.new_page()


async def organiser_token(database: Database, slug: str) -> str:
    async with database.session() as db:
        organiser = await factories.person(db, await get_event(db, slug=slug), "Ines Organiser", role=Role.organiser)
    return organiser.token


@pytest.mark.parametrize("scheme", ["light", "dark"])
async def test_the_style_guide_is_accessible_in_both_themes(
    browser: Any, live_server: LiveServer, demo_event: str, database: Database, scheme: str
) -> None:
    page = await organiser_page(browser, live_server, await organiser_token(database, demo_event), color_scheme=scheme)

    await page.goto(f"{live_server.url}/styleguide")

    await assert_accessible(page)
    await page.get_by_role("tab", name="Questions").focus()
    await page.keyboard.press("ArrowRight")
    assert await page.get_by_role("tab", name="Chat").get_attribute("aria-selected") == "true"
    assert (await page.locator("#panel-chat").is_visible(), await page.locator("#panel-questions").is_visible()) == (
        True,
        False,
    )
    await page.get_by_role("button", name="Remove a person").click()
    dialog = page.get_by_role("dialog")
    assert await dialog.locator(".dialog-question").inner_text() == "Remove Lin Mei from this event?"
    await assert_accessible(page)  # with the dialog open
    await page.keyboard.press("Escape")
    toast = page.locator(".toast-region .toast")
    await toast.wait_for()
    assert await toast.locator(".notice-message").inner_text() == "Cancelled: nothing was sent."


@pytest.mark.slow
@pytest.mark.parametrize("width", [320, 390])
async def test_no_back_office_page_scrolls_sideways_on_a_phone(
    browser: Any, live_server: LiveServer, demo_event: str, database: Database, width: int
) -> None:
    page = await organiser_page(
        browser, live_server, await organiser_token(database, demo_event), viewport={"width": width, "height": 640}
    )
    await page.goto(f"{live_server.url}/{demo_event}/organiser")
    sections = await page.locator(".backoffice-nav a").evaluate_all("links => links.map(link => link.href)")
    assert len(sections) == len(SECTIONS) + 1  # every section an organiser may open, and the style guide

    wide = {}
    for address in sections:
        await page.goto(address)
        overflow = await page.evaluate(WIDE_BY)
        if overflow > 0:
            wide[page.url] = overflow
    assert wide == {}
