"""Every step shows its state, in Chromium on a phone and a desktop: a delegate choosing sessions sees seats left and
clashes before clicking, a refused pick stays on its page with the reason and the way forward, a session that filled
between seeing it and clicking offers its waitlist, every write shows a notice, dropping a pick offers to undo it; a
signed-out visitor is asked to sign in and offered registration; in the back office a destructive action asks
first, and an upload shows its progress and can be cancelled with nothing saved."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlmodel import select

from server.accounts.models import Role
from server.agenda.models import Session, SessionMaterial
from server.db import Database
from server.events.services import get_event
from server.organising.materials import MAX_MATERIAL_BYTES
from server.registration.seats import pick_session
from tests.support.browser import PageProblems, assert_accessible, signed_in_page
from tests.support.factories import delegates, staff
from tests.support.http import session_token
from tests.support.servers import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.integration]
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 800}}
SCREENS = pytest.mark.parametrize("screen", [PHONE, DESKTOP], ids=["phone", "desktop"])


async def new_page(browser: Any, screen: dict[str, Any], base: str, token: str | None = None) -> tuple[Any, Any]:
    context = await browser.new_context(locale="en-GB", **screen)
    if token:
        await context.add_cookies([{"name": "podium_session", "value": token, "url": base}])
    page = await context.new_page()
    return context, page


async def event_nav(page: Any) -> list[str]:
    return await page.locator(".site-nav .nav-links a").all_inner_texts()


@SCREENS
async def test_delegate_sees_states_and_stays_on_the_page(
    browser: Any, live_server: LiveServer, demo_event: str, database: Database, screen: dict[str, Any]
) -> None:
    async with database.session() as db:
        event = await get_event(db, slug=demo_event)
        me, other, late = await delegates(db, event, 3)
        scarce = (await db.exec(select(Session).where(Session.event_id == event.id, Session.code == "FC-2"))).one()
        scarce.capacity = 2
        db.add(scarce)
        await db.commit()
        await pick_session(db, event=event, account=other, session_id=scarce.id or 0)
    base = live_server.url
    choose = f"{base}/{demo_event}/registration/sessions"

    # Signed out, the delegate's page asks to sign in and offers registration.
    context, page = await new_page(browser, screen, base)
    problems = PageProblems(page)
    answer = await page.goto(f"{base}/{demo_event}/registration")
    assert answer.status == 200
    assert await page.locator("h1").inner_text() == "Sign in"
    assert await page.locator("form input[name=next]").get_attribute("value") == f"/{demo_event}/registration"
    assert await page.get_by_role("link", name=f"Register for {event.title}").get_attribute("href") == (
        f"/{demo_event}/register"
    )
    assert "My registration" in await event_nav(page)
    await assert_accessible(page)
    await context.close()

    context, page = await new_page(browser, screen, base, await session_token(database, me.email))
    problems = PageProblems(page)
    await page.goto(choose)
    # Seats left before any click.
    assert await page.locator("#s-KEYNOTE .badge[data-state=seats]").inner_text() == "600 seats left"
    assert await page.locator("#s-FC-2 .badge[data-state=seats]").inner_text() == "1 seat left"
    await assert_accessible(page)

    # A pick shows its result next to the session.
    async with page.expect_navigation():
        await page.locator("#s-SD-1 button").click()
    assert await page.locator("#s-SD-1 .badge[data-state=picked]").count() == 1
    assert "is in your agenda, with a seat on site" in await page.locator("#s-SD-1 .notice").inner_text()

    # The clash shows before the click; clicking anyway stays on the page with the reason and the way forward.
    clash = page.locator("#s-EML-1 .badge[data-state=clash]")
    assert (await clash.inner_text()).startswith("Clashes with Opening panel: heritage")
    async with page.expect_navigation() as refusal:
        await page.locator("#s-EML-1 button").click()
    assert (await refusal.value).status == 200
    assert page.url.startswith(choose)
    notice = page.locator("#s-EML-1 .notice[data-kind=error]")
    assert "overlaps" in await notice.inner_text()
    assert (await notice.get_by_role("button").inner_text()).startswith("Remove “Opening panel: heritage")
    assert await page.locator(".error-page").count() == 0
    assert "Programme" in await event_nav(page)
    await assert_accessible(page)
    await page.reload()
    assert await page.locator(".notice").count() == 0  # a notice shows once
    # The public session page, cached for everyone, shows the viewer's state too.
    await page.goto(f"{base}/{demo_event}/sessions/EML-1")
    assert (await page.locator(".session-state .badge[data-state=clash]").inner_text()).startswith("Clashes with")
    await page.goto(choose)

    # Someone takes the last seat between seeing it and clicking: the waitlist is offered in place.
    async with database.session() as db:
        await pick_session(db, event=event, account=late, session_id=scarce.id or 0)
    async with page.expect_navigation():
        await page.locator("#s-FC-2 button").click()
    full = page.locator("#s-FC-2 .notice[data-kind=warning]")
    assert "last seat" in await full.inner_text()
    await assert_accessible(page)
    async with page.expect_navigation():
        await full.get_by_role("button", name="Join the waitlist").click()
    assert await page.locator("#s-FC-2 .badge[data-state=waitlist]").inner_text() == "On the waitlist, number 1"

    # Dropping a pick offers to undo it.
    async with page.expect_navigation():
        await page.locator("#s-SD-1 button").click()
    assert await page.locator("#s-SD-1 .badge[data-state=picked]").count() == 0
    async with page.expect_navigation():
        await page.locator("#s-SD-1 .notice").get_by_role("button", name="Undo").click()
    assert await page.locator("#s-SD-1 .badge[data-state=picked]").count() == 1

    overflow = await page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0
    assert problems.messages == []
    await context.close()


async def test_back_office_asks_first_and_shows_upload_progress(
    browser: Any, live_server: LiveServer, demo_event: str, database: Database, tmp_path: Any
) -> None:
    async with database.session() as db:
        event = await get_event(db, slug=demo_event)
        await staff(db, event, Role.organiser, "organiser@example.org")
    base = live_server.url
    page, problems = await signed_in_page(browser, base, await session_token(database, "organiser@example.org"))
    materials = f"{base}/{demo_event}/organiser/sessions/SD-1/materials"
    await page.goto(materials)

    # A large file, sent slowly: the upload shows its progress, and Cancel aborts it with nothing saved.
    big = tmp_path / "slides.txt"
    big.write_bytes(b"x" * min(8 * 1024 * 1024, MAX_MATERIAL_BYTES - 1))
    cdp = await page.context.new_cdp_session(page)
    await cdp.send("Network.enable")
    await cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 20, "downloadThroughput": -1, "uploadThroughput": 1024 * 1024},
    )
    await page.fill("#material-title", "Slides")
    await page.set_input_files("#material-file", str(big))
    await page.get_by_role("button", name="Add", exact=True).click()
    progress = page.locator(".upload-progress progress")
    await progress.wait_for()
    for _ in range(200):  # wait_for_function would evaluate a string, which the page's CSP refuses
        if await progress.evaluate("bar => bar.value") > 0:
            break
        await asyncio.sleep(0.05)
    assert 0 < await progress.evaluate("bar => bar.value") < 100
    await assert_accessible(page)
    await page.get_by_role("button", name="Cancel upload").click()
    assert await page.locator(".upload-progress").count() == 0
    assert "nothing was saved" in await page.locator(".toast-region .notice").inner_text()
    async with database.session() as db:
        assert (await db.exec(select(SessionMaterial))).all() == []
    await page.reload()
    assert await page.get_by_role("button", name="Delete Slides").count() == 0

    # A small one goes through, and the page after it says so.
    await cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
    )
    small = tmp_path / "notes.txt"
    small.write_text("Notes for the session.", encoding="utf-8")
    await page.fill("#material-title", "Notes")
    await page.set_input_files("#material-file", str(small))
    async with page.expect_navigation():
        await page.get_by_role("button", name="Add", exact=True).click()
    assert (
        await page.locator(".toast-region .notice[data-kind=success] .notice-message").inner_text()
        == "The material is added."
    )

    # Deleting asks first: No keeps it, Yes deletes it.
    delete = page.get_by_role("button", name="Delete Notes")
    await delete.click()
    dialog = page.locator("dialog.dialog[open]")
    assert "Delete “Notes”?" in await dialog.inner_text()
    await assert_accessible(page)
    await dialog.get_by_role("button", name="Cancel").click()
    assert await page.locator("dialog[open]").count() == 0
    assert await delete.count() == 1
    await delete.click()
    async with page.expect_navigation():
        await page.locator("dialog.dialog[open]").get_by_role("button", name="Yes, go ahead").click()
    assert await delete.count() == 0
    assert await page.locator(".toast-region .notice-message").inner_text() == "The material is deleted."
    assert problems.messages == []
    await page.context.close()
