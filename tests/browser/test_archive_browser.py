"""A session's archive in Chromium, on a phone and a desktop: after the end, the cached session page fetches the
answered questions and shown poll results into its placeholder (a delegate sees them, a signed-out visitor is
offered to sign in), user text stays text, and the page is axe-clean."""

from __future__ import annotations

from typing import Any

import pytest

from server.db import Database
from tests.support.browser import PageProblems, assert_accessible
from tests.support.room_history import ANSWERED, ANSWERED_ANONYMOUSLY, HOSTILE, SHOWN_POLL, build_room
from tests.support.servers import LiveServer
from tests.support.world import World

pytestmark = [pytest.mark.browser, pytest.mark.integration]
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 800}}
SCREENS = pytest.mark.parametrize("screen", [PHONE, DESKTOP], ids=["phone", "desktop"])


async def session_page(
    browser: Any, live_server: LiveServer, world: World, screen: dict[str, Any], token: str | None
) -> tuple[Any, Any, PageProblems]:
    context = await browser.new_context(locale="en-GB", **screen)
    if token:
        await context.add_cookies([{"name": "podium_session", "value": token, "url": live_server.url}])
    page = await context.new_page()
    problems = PageProblems(page)

    async def on_dialog(dialog: Any) -> None:  # a script in user text that ran would open one
        problems.messages.append(f"dialog: {dialog.message}")
        await dialog.dismiss()

    page.on("dialog", on_dialog)
    await page.goto(f"{live_server.url}/{world.event.slug}/sessions/{world.session.code}")
    return context, page, problems


@SCREENS
async def test_archive_shows_on_the_session_page_after_the_end(
    browser: Any, live_server: LiveServer, database: Database, world: World, screen: dict[str, Any]
) -> None:
    await build_room(database, world)

    context, page, problems = await session_page(browser, live_server, world, screen, world.delegate.token)
    archive = page.locator(".session-archive")
    await archive.locator(".question-text").first.wait_for()

    assert await archive.locator(".question-text").all_inner_texts() == [ANSWERED, ANSWERED_ANONYMOUSLY, HOSTILE]
    assert await archive.locator(".poll-question").all_inner_texts() == [SHOWN_POLL]
    assert await archive.locator(".poll-result progress").count() == 2
    assert await page.locator(".session-archive script").count() == 0
    # The archive's section follows the one list of materials; nothing scrolls sideways on a phone.
    assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    await assert_accessible(page)
    assert problems.messages == []
    await context.close()


@SCREENS
async def test_archive_offers_sign_in_to_a_visitor(
    browser: Any, live_server: LiveServer, database: Database, world: World, screen: dict[str, Any]
) -> None:
    await build_room(database, world)

    context, page, problems = await session_page(browser, live_server, world, screen, None)
    restricted = page.locator(".session-archive .archive-restricted")
    await restricted.wait_for()

    assert await page.locator(".session-archive .question-text").count() == 0
    await restricted.get_by_role("link", name="Sign in").click()
    await page.wait_for_url("**/signin?next=*")
    await assert_accessible(page)
    assert problems.messages == []
    await context.close()


async def test_archive_address_opened_in_the_browser_is_a_page_of_its_own(
    browser: Any, live_server: LiveServer, database: Database, world: World
) -> None:
    """The placeholder's link for browsers without scripts: a whole page, right to left in Arabic, on a 320 px
    phone, axe-clean."""
    await build_room(database, world)
    context = await browser.new_context(locale="en-GB", viewport={"width": 320, "height": 640}, is_mobile=True)
    await context.add_cookies(
        [
            {"name": "podium_session", "value": world.moderator.token, "url": live_server.url},
            {"name": "podium_lang", "value": "ar", "url": live_server.url},
        ]
    )
    page = await context.new_page()
    problems = PageProblems(page)

    await page.goto(f"{live_server.url}{world.path('archive')}")

    assert await page.evaluate("[document.documentElement.lang, document.documentElement.dir]") == ["ar", "rtl"]
    assert await page.locator("h1").inner_text() == world.session.title
    assert await page.locator(".session-archive .question-text").count() == 6  # a moderator sees every question
    assert await page.evaluate("document.scrollingElement.scrollWidth - document.scrollingElement.clientWidth") <= 1
    await assert_accessible(page)
    assert problems.messages == []
    await context.close()
