"""The room page's layout and player state, the moderator console's keyboard shortcuts, and the studio whose
publish token was rotated, in Chromium against the real app."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from collections.abc import AsyncIterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import expect

from server.db import Database
from tests.support.browser import assert_accessible
from tests.support.factories import Person
from tests.support.live_room import LiveRoom, live_room
from tests.support.stream_site import WAIT, StreamStage, open_as

pytestmark = [pytest.mark.browser, pytest.mark.integration]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
async def room(database_url: str, database: Database, demo_event: str) -> AsyncIterator[LiveRoom]:
    """A moderated room whose session starts in two hours."""
    async with live_room(database_url, database, demo_event, starts_in=dt.timedelta(hours=2), moderated=True) as found:
        yield found


async def open_page(browser: Any, room: LiveRoom, page_name: str, person: Person, viewport: dict[str, int]) -> Any:
    context = await browser.new_context(viewport=viewport, locale="en-GB")
    await context.add_cookies([{"name": "podium_session", "value": person.token, "url": room.site.url}])
    page = await context.new_page()
    await page.goto(room.path(page_name))
    await page.wait_for_selector("#live-status[data-state='live']", timeout=WAIT)
    return page


async def ask(page: Any, text: str) -> None:
    await page.fill("#ask-text", text)
    await page.locator("#ask-form button[type=submit]").click()
    await expect(page.locator("#ask-status")).to_contain_text("Your question was sent.", timeout=WAIT)


async def test_a_moderator_approves_and_highlights_with_the_keyboard_alone(browser: Any, room: LiveRoom) -> None:
    delegate = await open_page(browser, room, "room", room.delegate, DESKTOP)
    console = await open_page(browser, room, "moderate", room.moderator, DESKTOP)
    await ask(delegate, "Who restores the murals?")
    await ask(delegate, "Is the archive open to visitors?")
    queue = console.locator("#queue li")
    await expect(queue).to_have_count(2, timeout=WAIT)

    # Typing in a field never fires a shortcut.
    await console.locator("#chat-text").fill("")
    await console.locator("#chat-text").press_sequentially("jar")
    await expect(console.locator("#chat-text")).to_have_value("jar")
    await console.locator("#chat-text").fill("")
    await asyncio.sleep(0.5)
    await expect(queue).to_have_count(2)

    # Away from any field: j chooses the first question waiting, a approves it, and the focus goes on to the next.
    await console.locator("#queue-heading").click()
    await console.keyboard.press("j")
    await expect(queue.first).to_be_focused()
    await console.keyboard.press("a")
    await expect(console.locator("#published li", has_text="Who restores the murals?")).to_have_count(1, timeout=WAIT)
    await expect(console.locator("#queue li", has_text="Is the archive open to visitors?")).to_be_focused()
    mine = delegate.locator("#questions li", has_text="Who restores the murals?")
    await expect(mine.locator(".tags")).to_have_text("Your question", timeout=WAIT)

    # r rejects the one waiting; then k goes back to the published one and h puts it on the room screen.
    await console.keyboard.press("r")
    await expect(console.locator("#aside li", has_text="Is the archive open to visitors?")).to_have_count(
        1, timeout=WAIT
    )
    await console.keyboard.press("k")
    await expect(console.locator("#published li").first).to_be_focused()
    await console.keyboard.press("h")
    await expect(delegate.locator("#on-screen .on-screen-text")).to_have_text("Who restores the murals?", timeout=WAIT)
    await expect(console.locator("#highlight-text")).to_have_text("Who restores the murals?")
    await console.keyboard.press("d")
    await expect(mine.locator(".tags")).to_contain_text("Answered", timeout=WAIT)

    # ? opens the list of shortcuts; a shortcut that does not apply says so.
    await console.keyboard.press("?")
    await expect(console.locator("#shortcuts")).to_have_attribute("open", "")
    await console.keyboard.press("a")
    await expect(console.locator("#mod-status")).to_have_text("That shortcut does not apply to the chosen question.")
    await assert_accessible(console)


@pytest.mark.slow
async def test_the_room_page_shows_tabs_on_a_phone_and_columns_on_a_desktop(browser: Any, room: LiveRoom) -> None:
    phone = await open_page(browser, room, "room", room.delegate, PHONE)
    tabs = phone.get_by_role("tab")
    await expect(tabs).to_have_text(["Questions", "Chat"])
    await expect(phone.locator("#ask-text")).to_be_visible()
    await expect(phone.locator("#chat-text")).to_be_hidden()
    await phone.get_by_role("tab", name="Chat").click()
    await expect(phone.locator("#chat-text")).to_be_visible()
    await expect(phone.locator("#ask-text")).to_be_hidden()
    await phone.keyboard.press("ArrowLeft")
    await expect(phone.get_by_role("tab", name="Questions")).to_be_focused()
    await expect(phone.get_by_role("tab", name="Questions")).to_have_attribute("aria-selected", "true")
    await expect(phone.locator("#ask-text")).to_be_visible()

    # Nobody publishes: the page never says "Live"; the slate gives the start in the event's zone.
    start = room.session.start.replace(tzinfo=dt.UTC).astimezone(ZoneInfo(room.event.timezone)).strftime("%H:%M")
    badge = phone.locator("[data-stream-badge]")
    await expect(phone.locator("#stream")).to_have_attribute("data-state", "offline", timeout=WAIT)
    await expect(badge).to_have_text(re.compile("^(Upcoming|Starting soon)$"))  # its phase (server/phases)
    await expect(phone.locator("#live-status")).to_have_text("Connected")
    await expect(phone.locator("[data-stream-slate]")).to_contain_text(room.session.title)
    await expect(phone.locator("[data-stream-slate-message]")).to_have_text(f"The stream starts at {start}.")
    await expect(phone.locator("[data-stream-status]")).to_have_text(f"The stream starts at {start}.")
    await expect(phone.get_by_role("button", name="Unmute sound")).to_be_visible()
    await assert_accessible(phone)

    desktop = await open_page(browser, room, "room", room.delegate, DESKTOP)
    await expect(desktop.get_by_role("tab")).to_have_count(0)
    questions = await desktop.locator("#talk-questions").bounding_box()
    chat = await desktop.locator("#talk-chat").bounding_box()
    assert questions and chat
    assert chat["x"] >= questions["x"] + questions["width"] and abs(chat["y"] - questions["y"]) < 2
    await expect(desktop.locator("#chat-text")).to_be_visible()
    await assert_accessible(desktop)


async def test_a_studio_whose_token_was_rotated_says_so_and_stops_trying(
    stage: StreamStage, media_browser: Any
) -> None:
    studio, _problems = await open_as(media_browser, stage, stage.speaker, "studio")
    await studio.wait_for_selector("#studio-microphone option:nth-child(2)", state="attached", timeout=WAIT)
    await expect(studio.locator("#studio-room-heading + .live-status")).to_have_attribute(
        "data-state", "live", timeout=WAIT
    )
    await expect(studio.locator("#live [data-count='online']")).to_have_text("1", timeout=WAIT)

    console, _console_problems = await open_as(media_browser, stage, stage.moderator, "moderate")
    await console.get_by_text("Publish with OBS Studio or an encoder (WHIP)").click()
    await console.get_by_text("Rotate the token").click()
    await console.get_by_role("button", name="Rotate now").click()
    await console.wait_for_url(f"**/{stage.session.code}/moderate#stream-panel")

    publishes: list[str] = []
    studio.on("request", lambda request: publishes.append(request.url) if "/whip/" in request.url else None)
    await studio.get_by_role("button", name="Go live").click()
    await expect(studio.locator("#studio")).to_have_attribute("data-state", "replaced", timeout=WAIT)
    replaced = studio.locator("#studio-replaced")
    await expect(replaced).to_be_visible()
    await expect(replaced.get_by_role("heading")).to_have_text(
        "This studio link was replaced. Ask the organiser for the new link."
    )
    await expect(studio.get_by_role("button", name="Go live")).to_be_disabled()
    # The microphone's level moves (the fake device beeps) while nothing is sent any more.
    await studio.wait_for_function("document.getElementById('studio-level').value > 0", timeout=WAIT)
    await asyncio.sleep(3)
    assert len(publishes) == 1
    await assert_accessible(studio)

    # The way out: a reload fetches the new token, and going live works again.
    await replaced.get_by_role("button", name="Reload the studio").click()
    await studio.wait_for_selector("#studio-camera option:nth-child(2)", state="attached", timeout=WAIT)
    await studio.get_by_role("button", name="Go live").click()
    await expect(studio.locator("#studio")).to_have_attribute("data-state", "live", timeout=WAIT)
