"""Arabic pages read right to left in Chromium: the agenda grid's first room is the rightmost column with the
times beside it on the right, the room page's player and questions come first from the right, the moderator
console's main column is on the right, tabs move with the arrow that points along the row, and each page is
axe-clean. Until the Arabic catalogue is merged the words are English; only the layout is checked."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import pytest
from playwright.async_api import expect

from server.db import Database
from tests.support.browser import PageProblems, assert_accessible
from tests.support.factories import Person
from tests.support.live_room import LiveRoom, live_room
from tests.support.stream_site import WAIT

pytestmark = [pytest.mark.browser, pytest.mark.integration]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
async def site(database_url: str, database: Database, demo_event: str) -> AsyncIterator[LiveRoom]:
    """The demo event with a moderated room whose session starts in two hours."""
    async with live_room(
        database_url, database, demo_event, starts_in=dt.timedelta(hours=2), country="EG", moderated=True
    ) as found:
        yield found


async def open_in_arabic(
    browser: Any, site: LiveRoom, url: str, person: Person | None, viewport: dict[str, int]
) -> Any:
    context = await browser.new_context(viewport=viewport, locale="ar-EG")  # Accept-Language: ar-EG
    if person is not None:
        await context.add_cookies([{"name": "podium_session", "value": person.token, "url": site.site.url}])
    page = await context.new_page()
    page.problems = PageProblems(page)
    await page.goto(url)
    return page


async def box(page: Any, selector: str) -> dict[str, float]:
    found = await page.locator(selector).first.bounding_box()
    assert found is not None, selector
    return found


async def assert_right_to_left(page: Any) -> None:
    assert await page.locator("html").get_attribute("lang") == "ar"
    assert await page.locator("html").get_attribute("dir") == "rtl"
    assert await page.evaluate("getComputedStyle(document.documentElement).direction") == "rtl"


def right_of(first: dict[str, float], second: dict[str, float]) -> bool:
    """``first`` lies wholly to the right of ``second``."""
    return first["x"] >= second["x"] + second["width"] - 1


@pytest.mark.slow
async def test_arabic_agenda_room_page_and_console_are_mirrored_and_accessible(browser: Any, site: LiveRoom) -> None:
    # The agenda grid: rooms are columns from the right, the times on the right edge, sticky there.
    agenda = await open_in_arabic(browser, site, f"{site.site.url}/{site.event.slug}/", None, DESKTOP)
    await assert_right_to_left(agenda)
    rooms = agenda.locator(".agenda-grid .grid-room")
    assert await rooms.count() >= 2
    first_room, second_room = await rooms.nth(0).bounding_box(), await rooms.nth(1).bounding_box()
    assert first_room and second_room
    assert right_of(first_room, second_room)
    times = await box(agenda, ".agenda-grid .slot-time")
    assert right_of(times, first_room)
    sticky = await agenda.evaluate(
        "(() => { const s = getComputedStyle(document.querySelector('.agenda-grid .slot-time'));"
        " return [s.position, s.right, s.left]; })()"
    )
    assert sticky == ["sticky", "0px", "auto"]
    await assert_accessible(agenda)

    # The room page on a desktop: the player first from the right, questions to the right of the chat.
    room = await open_in_arabic(browser, site, site.path("room"), site.delegate, DESKTOP)
    await room.wait_for_selector("#live-status[data-state='live']", timeout=WAIT)
    await assert_right_to_left(room)
    assert right_of(await box(room, "#stream"), await box(room, ".live-stage-side"))
    assert right_of(await box(room, "#talk-questions"), await box(room, "#talk-chat"))
    await assert_accessible(room)

    # On a phone the talk is tabs: the arrow pointing along the row (left) moves to the next tab.
    phone = await open_in_arabic(browser, site, site.path("room"), site.delegate, PHONE)
    await phone.wait_for_selector("#live-status[data-state='live']", timeout=WAIT)
    questions, chat = phone.get_by_role("tab").nth(0), phone.get_by_role("tab").nth(1)
    assert right_of(await questions.bounding_box(), await chat.bounding_box())
    await questions.focus()
    await phone.keyboard.press("ArrowLeft")
    await expect(chat).to_be_focused()
    await expect(chat).to_have_attribute("aria-selected", "true")
    await phone.keyboard.press("ArrowRight")
    await expect(questions).to_have_attribute("aria-selected", "true")
    await assert_accessible(phone)

    # The moderator console: the review queue's column on the right, the side column on its left.
    console = await open_in_arabic(browser, site, site.path("moderate"), site.moderator, DESKTOP)
    await console.wait_for_selector("#live-status[data-state='live']", timeout=WAIT)
    await assert_right_to_left(console)
    assert right_of(await box(console, ".live-columns > .live-main"), await box(console, ".live-columns > .live-side"))
    assert right_of(await box(console, "#queue-heading"), await box(console, ".live-columns > .live-side"))
    await assert_accessible(console)

    for page in (agenda, room, phone, console):
        assert page.problems.messages == []
