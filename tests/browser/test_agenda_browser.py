"""A visitor in Chromium: the programme, time zones, languages, search, a session and its calendar file."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.support.browser import PageProblems, assert_accessible
from tests.support.servers import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.integration]


async def test_visitor_browses_the_programme(
    browser: Any, live_server: LiveServer, demo_event: str, tmp_path: Path
) -> None:
    context = await browser.new_context(timezone_id="Asia/Tokyo", locale="en-GB", accept_downloads=True)
    page = await context.new_page()
    problems = PageProblems(page)

    # The programme, in the event's time zone, keyboard first: the skip link leads to the content.
    await page.goto(f"{live_server.url}/{demo_event}/")
    assert await page.locator("html").get_attribute("lang") == "en"
    await assert_accessible(page)
    await page.keyboard.press("Tab")
    assert await page.evaluate("document.activeElement.className") == "skip-link"
    await page.keyboard.press("Enter")
    assert await page.evaluate("document.activeElement.id") == "main"

    # The script offers the browser's own zone, behind the time zone button.
    await page.locator("details.zone-panel summary").click()
    own_zone = page.get_by_role("link", name="Show in my time zone (Asia/Tokyo)")
    await own_zone.click()
    await page.wait_for_url(re.compile(r"tz=Asia%2FTokyo"))
    assert await page.locator("details.zone-panel summary").inner_text() == "Times: Asia/Tokyo"

    # Another zone from the form.
    await page.locator("details.zone-panel summary").click()
    await page.select_option("#zone-select", "Asia/Jakarta")
    await page.get_by_role("button", name="Change time zone").click()
    await page.wait_for_url(re.compile(r"tz=Asia%2FJakarta"))
    assert await page.locator("details.zone-panel summary").inner_text() == "Times: Asia/Jakarta"
    await assert_accessible(page)

    # Chinese, keeping the zone.
    await page.get_by_role("link", name="简体中文").click()
    await page.wait_for_url(re.compile(r"lang=zh-Hans"))
    assert await page.locator("html").get_attribute("lang") == "zh-Hans"
    assert "tz=Asia%2FJakarta" in page.url
    await assert_accessible(page)

    # Search by a speaker's name, as a visitor would type it.
    speaker = (await page.locator(".card-speakers").first.inner_text()).split("：", 1)[-1].split("、")[0].strip()
    await page.locator("details.filters-panel summary").click()
    await page.fill("#filter-q", speaker)
    await page.locator("form[role=search] button[type=submit]").click()
    await page.wait_for_url(re.compile(r"q="))
    assert await page.locator(".results .card").count() >= 1
    speakers = await page.locator(".results .card-speakers").all_inner_texts()
    assert all(speaker in text for text in speakers)
    await assert_accessible(page)

    # A session, and its calendar file.
    await page.locator(".results .card-title a").first.click()
    await page.wait_for_selector(".session-facts")
    assert "Asia/Jakarta" in await page.locator(".session-facts").inner_text()
    await assert_accessible(page)
    async with page.expect_download() as download_info:
        await page.locator(".calendar-link a").click()
    download = await download_info.value
    target = tmp_path / "session.ics"
    await download.save_as(target)
    assert target.read_text(encoding="utf-8").startswith("BEGIN:VCALENDAR")

    assert problems.messages == []
    await context.close()


async def test_programme_fits_a_phone(browser: Any, live_server: LiveServer, demo_event: str) -> None:
    context = await browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True)
    page = await context.new_page()
    problems = PageProblems(page)

    await page.goto(f"{live_server.url}/{demo_event}/")

    overflow = await page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0
    assert await page.locator(".grid-room").first.is_hidden()
    await assert_accessible(page)
    assert problems.messages == []
    await context.close()
