"""The organiser changes the live settings in Chromium while a delegate's room and a moderator's console are open:
a reviewed chat holds the delegate's message, marked for them, until the moderator approves it from the queue; a
chat turned off hides the chat box at once. The Staff and Live rooms pages pass the accessibility checks."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from server.db import Database
from tests.support.browser import PageProblems, assert_accessible, signed_in_page
from tests.support.factories import Person
from tests.support.live_room import LiveRoom, live_room

pytestmark = [pytest.mark.browser, pytest.mark.integration]

WAIT = 10_000


@pytest.fixture
async def stage(database_url: str, database: Database, demo_event: str) -> AsyncIterator[LiveRoom]:
    async with live_room(database_url, database, demo_event) as found:
        yield found


async def open_page(browser: Any, stage: LiveRoom, path: str, person: Person) -> tuple[Any, PageProblems]:
    page, problems = await signed_in_page(browser, stage.site.url, person.token)
    await page.goto(stage.site.url + path)
    return page, problems


async def expect_text(locator: Any, text: str) -> None:
    from playwright.async_api import expect

    await expect(locator).to_have_text(text, timeout=WAIT)


async def save_chat(page: Any, label: str) -> None:
    await page.get_by_role("group", name="Chat").get_by_label(label, exact=True).check()
    await page.get_by_role("button", name="Save the live settings").click()
    await expect_text(page.locator(".message-success"), "The live settings are saved.")


async def test_reviewed_then_closed_chat_reaches_open_pages(browser: Any, stage: LiveRoom) -> None:
    room_path = f"/{stage.event.slug}/sessions/{stage.session.code}"
    delegate, delegate_problems = await open_page(browser, stage, room_path + "/room", stage.delegate)
    moderator, moderator_problems = await open_page(browser, stage, room_path + "/moderate", stage.moderator)
    for page in (delegate, moderator):
        await page.wait_for_selector("#live-status[data-state='live']", timeout=WAIT)
    settings, settings_problems = await open_page(
        browser, stage, f"/{stage.event.slug}/organiser/live", stage.organiser
    )

    await save_chat(settings, "Reviewed: each message waits for a moderator")
    await expect_text(delegate.locator("#chat-note"), "A moderator reviews each message before others see it.")
    await delegate.fill("#chat-text", "Held for a moment")
    await delegate.press("#chat-text", "Enter")
    mine = delegate.locator("#chat li", has_text="Held for a moment")
    await expect_text(mine.locator(".tag-held"), "Waiting for review")
    queued = moderator.locator("#chat-review li", has_text="Held for a moment")
    await expect_text(moderator.locator("#chat-review-count"), "1")
    await queued.get_by_role("button", name="Approve").click()
    await expect_text(moderator.locator("#chat-review-count"), "0")
    await expect_text(moderator.locator("#chat li .chat-text"), "Held for a moment")
    assert await mine.locator(".tag-held").count() == 0 or await mine.locator(".tag-held").is_hidden()
    assert await moderator.locator("#setting-chat_reviewed").is_checked()

    await save_chat(settings, "Off")
    await expect_text(delegate.locator("#chat-note"), "The chat is closed in this room.")
    assert await delegate.locator("#chat-text").is_hidden()

    await assert_accessible(settings)
    await assert_accessible(moderator)
    staff, staff_problems = await open_page(browser, stage, f"/{stage.event.slug}/organiser/staff", stage.organiser)
    await assert_accessible(staff)
    problems = delegate_problems.messages + moderator_problems.messages + settings_problems.messages
    assert problems + staff_problems.messages == []
