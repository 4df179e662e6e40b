"""A delegate's whole journey in Chromium: register, confirm by the mailed link, pick sessions, open the badge,
and get checked in at the desk by an organiser on a phone."""

from __future__ import annotations

import re
from typing import Any

import pytest

from server.accounts.models import Role
from server.db import Database
from server.events.services import get_event
from tests.support.browser import PageProblems, assert_accessible
from tests.support.factories import staff
from tests.support.http import last_link
from tests.support.servers import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.integration]
DELEGATE = "lin.mei@example.org"
ORGANISER = "desk@example.org"


async def open_link(page: Any, base: str, database: Database, email: str) -> None:
    """Opens the newest link mailed to ``email`` (read from the outbox) and presses its button."""
    await page.goto(base + await last_link(database, email))
    await assert_accessible(page)
    async with page.expect_navigation():
        await page.get_by_role("button", name="Sign in").click()


async def test_delegate_registers_picks_and_is_checked_in(
    browser: Any, live_server: LiveServer, demo_event: str, database: Database
) -> None:
    async with database.session() as db:
        await staff(db, await get_event(db, slug=demo_event), Role.organiser, ORGANISER)
    base = f"{live_server.url}"
    context = await browser.new_context(locale="en-GB")
    page = await context.new_page()
    problems = PageProblems(page)

    # Register, signed out.
    await page.goto(f"{base}/{demo_event}/register")
    await assert_accessible(page)
    await page.fill("#reg-name", "Lin Mei")
    await page.fill("#reg-email", DELEGATE)
    await page.select_option("#reg-country", "CN")
    await page.fill("#reg-organisation", "Dunhuang Academy")
    await page.fill("#reg-job-title", "Conservator")
    await page.check("#reg-onsite")
    await page.select_option("#reg-language", "zh-Hans")
    await page.check("#reg-listed")
    await page.get_by_role("button", name="Register").click()
    await page.wait_for_url(f"{base}/{demo_event}/register/sent")
    await assert_accessible(page)

    # Confirm through the link in the outbox: confirmed and signed in.
    await open_link(page, base, database, DELEGATE)
    assert page.url == f"{base}/{demo_event}/registration"
    assert await page.locator(".message-success").inner_text() == "You are registered: On site."
    await assert_accessible(page)

    # Pick a session from its own page, and another from the programme list.
    await page.goto(f"{base}/{demo_event}/sessions/SD-1/pick")
    await assert_accessible(page)
    async with page.expect_navigation():
        await page.get_by_role("button", name="Add to my agenda").click()
    assert await page.locator(".pick-status").inner_text() == "This session is in your agenda, with a seat on site."
    await page.goto(f"{base}/{demo_event}/registration")
    async with page.expect_navigation():
        await page.get_by_role("link", name="Choose sessions").first.click()
    await assert_accessible(page)
    async with page.expect_navigation():
        await page.locator("#s-KEYNOTE button").click()
    assert "is-picked" in (await page.locator("#s-KEYNOTE").get_attribute("class") or "")
    # On site, a session at the same time as SD-1 says so before the click, and the refusal stays on the page.
    assert "Clashes with" in await page.locator("#s-EML-1 .badge").inner_text()
    assert problems.messages == []
    async with page.expect_navigation():
        await page.locator("#s-EML-1 button").click()
    assert page.url.startswith(f"{base}/{demo_event}/registration/sessions")
    assert "overlaps" in await page.locator("#s-EML-1 .notice").inner_text()
    await assert_accessible(page)
    await page.goto(f"{base}/{demo_event}/registration")
    assert await page.locator(".my-agenda li").evaluate_all("items => items.map(item => item.dataset.code)") == [
        "KEYNOTE",
        "SD-1",
    ]

    # The badge.
    async with page.expect_navigation():
        await page.get_by_role("link", name="My badge").click()
    assert await page.locator(".badge-name").inner_text() == "Lin Mei"
    assert await page.locator(".badge-qr svg").count() == 1
    code = await page.locator(".badge-code code").inner_text()
    await assert_accessible(page)

    # The organiser signs in on a phone and checks the delegate in by typing the code.
    desk_context = await browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True)
    desk = await desk_context.new_page()
    desk_problems = PageProblems(desk)
    await desk.goto(f"{base}/{demo_event}/checkin")  # signed out, the desk asks to sign in and comes back after
    assert desk.url == f"{base}/signin?next=%2F{demo_event}%2Fcheckin"
    await assert_accessible(desk)
    await desk.fill("#signin-email", ORGANISER)
    async with desk.expect_navigation():
        await desk.get_by_role("button", name="Send me a sign-in link").click()
    await open_link(desk, base, database, ORGANISER)
    assert desk.url == f"{base}/{demo_event}/checkin"
    await assert_accessible(desk)
    # With or without BarcodeDetector (Chromium on Linux lacks it) the desk reads badges: jsQR steps in.
    assert await desk.locator("#scan-button").is_visible()
    assert await desk.get_by_text("Read a photo of the badge").is_visible()

    for expected, headline in (("checked-in", re.compile(r"^Checked in")), ("already", re.compile(r"^ALREADY"))):
        await desk.fill("#checkin-code", code)
        async with desk.expect_navigation():
            await desk.get_by_role("button", name="Check in", exact=True).click()
        result = desk.locator("[data-outcome]")
        assert await result.get_attribute("data-outcome") == expected
        assert headline.match(await desk.locator(".checkin-headline").inner_text())
        assert await desk.locator(".checkin-name").inner_text() == "Lin Mei"
        await assert_accessible(desk)
    overflow = await desk.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0

    assert problems.messages == []
    assert desk_problems.messages == []
    await desk_context.close()
    await context.close()
