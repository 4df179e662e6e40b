"""The agenda phone first and on a desktop, and the time zone a person chose, remembered on every page and in mail."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from sqlmodel import col, select

from server import clock
from server.accounts.models import Account
from server.db import Database
from server.mail.models import OutboxMail
from server.registration.seats import pick_session, unpick_session
from tests.support import factories
from tests.support.browser import PageProblems, assert_accessible, signed_in_page
from tests.support.factories import ONSITE
from tests.support.servers import LiveServer
from tests.support.world import World

pytestmark = [pytest.mark.browser, pytest.mark.integration]

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "locale": "en-GB"}
DESKTOP = {"viewport": {"width": 1280, "height": 900}, "locale": "en-GB"}
# 10:00 in Beijing on the event's second day: the 09:45 sessions run, the 09:00 ones have ended.
SECOND_DAY_TEN = dt.datetime(2021, 10, 28, 2, 0, tzinfo=dt.UTC)

CARDS_IN_VIEW = """() => [...document.querySelectorAll('article.card')].filter(card => {
  const box = card.getBoundingClientRect();
  return box.height > 0 && box.top >= 0 && box.top < window.innerHeight;
}).length"""


async def test_phone_opens_on_today_as_a_list_with_sessions_first(
    browser: Any, live_server: LiveServer, demo_event: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(clock, "utcnow", lambda: SECOND_DAY_TEN)
    context = await browser.new_context(**PHONE)
    page = await context.new_page()
    problems = PageProblems(page)

    await page.goto(f"{live_server.url}/{demo_event}/")

    assert await page.evaluate(CARDS_IN_VIEW) >= 1  # sessions on the first screen, not navigation and filters
    current = page.locator(".day-tabs a[aria-current=page]")
    assert await current.get_attribute("href") == f"/{demo_event}/?day=2021-10-28"
    assert await page.locator("details.filters-panel").get_attribute("open") is None
    assert await page.locator("details.filters-panel summary").inner_text() == "Filters"
    # What runs now is marked with its phase (server/phases), in words; so is what ended.
    assert await page.locator('article[data-code="SD-6"] [data-phase-badge]').inner_text() == "Live"
    assert await page.locator('article[data-code="SD-5"] [data-phase-badge]').inner_text() == "Ended"
    assert await page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") <= 0
    await assert_accessible(page)

    # The filters open from their button; after filtering they fold away again, counting what is active.
    await page.locator("details.filters-panel summary").click()
    await page.select_option("#filter-room", "jade-room")
    await page.get_by_role("button", name="Show sessions").click()
    await page.wait_for_url(re.compile(r"room=jade-room"))
    assert await page.locator("details.filters-panel").get_attribute("open") is None
    assert await page.locator("details.filters-panel summary").inner_text() == "Filters (1)"
    rooms = await page.locator(".results .card-room").all_inner_texts()
    assert rooms and all(room.endswith("Jade Room") for room in rooms)
    assert await page.locator(".day-tabs a[aria-current=page]").inner_text() == "Thu, Oct 28"
    assert await page.evaluate(CARDS_IN_VIEW) >= 1

    # Another day's tab is a plain link.
    await page.locator(".day-tabs a", has_text="Wed, Oct 27").click()
    await page.wait_for_url(re.compile(r"day=2021-10-27"))
    assert await page.locator(".results .card-title", has_text="Opening panel").count() == 1
    assert problems.messages == []
    await context.close()


async def test_desktop_grid_keeps_room_headers_and_marks_only_my_picks(
    browser: Any, live_server: LiveServer, world: World
) -> None:
    picked = world.session.code  # the on-site delegate's pick, on the event's first day
    agenda_url = f"{live_server.url}/{world.event.slug}/"

    page, problems = await signed_in_page(browser, live_server.url, world.onsite.token)
    await page.set_viewport_size(DESKTOP["viewport"])
    await page.goto(agenda_url)  # the event is long over: it opens on its first day
    assert await page.locator(".day-tabs a[aria-current=page]").inner_text() == "Wed, Oct 27"
    mark = page.locator(f'article[data-code="{picked}"] .badge[data-state=picked]')
    await mark.wait_for()
    assert await mark.inner_text() == "In my agenda"
    assert await page.locator(".badge[data-state=picked]").count() == 1

    grid = page.locator(".agenda-grid").first
    await grid.evaluate("grid => grid.scrollTo(0, 900)")
    header = page.locator(".agenda-grid .grid-room").first
    grid_box, header_box = await grid.bounding_box(), await header.bounding_box()
    assert grid_box is not None and header_box is not None
    assert abs(header_box["y"] - grid_box["y"]) < 2  # still at the top of the scrolled grid
    assert await grid.evaluate("grid => grid.scrollTop") > 0
    await assert_accessible(page)
    assert problems.messages == []

    # The same cached page for another delegate and for a visitor: neither sees the first one's pick.
    other, other_problems = await signed_in_page(browser, live_server.url, world.delegate.token)
    await other.goto(agenda_url)
    await other.wait_for_load_state("networkidle")
    assert await other.locator(".badge[data-state=picked]").count() == 0
    assert other_problems.messages == []
    visitor = await browser.new_context(**DESKTOP)
    anonymous = await visitor.new_page()
    await anonymous.goto(agenda_url)
    await anonymous.wait_for_load_state("networkidle")
    assert await anonymous.locator(".badge[data-state=picked]").count() == 0
    # ... but everyone sees the seats left before any click.
    seats = anonymous.locator('article[data-code="KEYNOTE"] .badge[data-state=seats]').first
    assert await seats.inner_text() == "600 seats left"
    await visitor.close()


async def test_chosen_zone_is_remembered_on_every_page_and_in_mail(
    browser: Any, live_server: LiveServer, world: World, database: Database
) -> None:
    slug, picked = world.event.slug, world.session
    page, problems = await signed_in_page(browser, live_server.url, world.onsite.token)

    await page.goto(f"{live_server.url}/{slug}/")
    await page.locator("details.zone-panel summary").click()
    await page.select_option("#zone-select", "Asia/Jakarta")
    await page.get_by_role("button", name="Change time zone").click()
    await page.wait_for_url(re.compile(r"tz=Asia%2FJakarta"))
    assert await page.locator("html").get_attribute("data-time-zone") == "Asia/Jakarta"

    # Pages opened without ?tz= use the choice: the session page and my registration (one hour behind Beijing).
    await page.goto(f"{live_server.url}/{slug}/sessions/{picked.code}")
    assert "Asia/Jakarta" in await page.locator(".session-facts").inner_text()
    assert await page.locator("html").get_attribute("data-time-zone") == "Asia/Jakarta"
    await page.goto(f"{live_server.url}/{slug}/registration")
    shown = await page.locator(f'.agenda-item[data-code="{picked.code}"] .agenda-time').inner_text()
    assert "08:30" in shown  # 09:30 in Beijing
    assert await page.locator("html").get_attribute("data-time-zone") == "Asia/Jakarta"
    room = await (await page.request.get(f"{live_server.url}{world.path('room', session=picked)}")).text()
    assert 'data-time-zone="Asia/Jakarta"' in room  # the room page (read alone: its live connection needs more)
    assert re.search(r'class="live-kicker">[^<]*<time datetime="[^"]+">08:30</time>', room)

    # A mail sent afterwards writes the time in the chosen zone: a freed seat passes to this delegate.
    async with database.session() as db:
        full = await factories.session_with_capacity(db, world.event, 1)
        holder = await factories.person(db, world.event, "Seat Holder", attendance=ONSITE)
        await pick_session(db, event=world.event, account=holder.account, session_id=full.id or 0)
        await pick_session(db, event=world.event, account=world.onsite.account, session_id=full.id or 0)
        await unpick_session(db, event=world.event, account=holder.account, session_id=full.id or 0)
        mail = (
            await db.exec(
                select(OutboxMail)
                .where(OutboxMail.recipient == world.onsite.account.email)
                .order_by(col(OutboxMail.id).desc())
            )
        ).first()
    assert mail is not None
    assert "Oct 27, 2021, 12:30–13:15 (Asia/Jakarta)" in mail.body  # 13:30 in Beijing

    # Back to the event's time, everywhere.
    await page.goto(f"{live_server.url}/{slug}/")
    await page.locator("details.zone-panel summary").click()
    await page.get_by_role("link", name="Show the event's time").click()
    await page.wait_for_url(re.compile(r"tz=event"))
    assert await page.locator("html").get_attribute("data-time-zone") == "Asia/Shanghai"
    await page.goto(f"{live_server.url}/{slug}/sessions/{picked.code}")
    assert "Asia/Jakarta" not in await page.locator(".session-facts").inner_text()
    async with database.session() as db:
        account = await db.get_one(Account, world.onsite.account.id)
        assert account.time_zone == ""
    assert problems.messages == []
