"""A guest in the hall, in Chromium on a phone (390×844) against the real site: the room screen's short code and
QR code, the short address in two steps (type the code, then ask), the question in the moderators' review queue,
a vote, a reload that keeps the guest, and a sign-in that keeps the question. Also the refusals: guests not
allowed, a wrong code, a question of nothing but a NUL byte or far too long."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from playwright.async_api import expect
from sqlmodel import select

from server.accounts.models import Role
from server.agenda.models import Session
from server.db import Database
from server.events.models import Event
from server.live.guests import GUEST_COOKIE
from server.live.hall import hall_code
from server.live.models import Question
from server.registration.badges import qr_svg
from tests.support import factories
from tests.support.browser import PageProblems, assert_accessible
from tests.support.factories import ONLINE, Person
from tests.support.http import last_link
from tests.support.live_clients import LiveClient
from tests.support.servers import LiveSite

pytestmark = [pytest.mark.browser, pytest.mark.integration]

PHONE = {"width": 390, "height": 844}
PROJECTOR = {"width": 1280, "height": 720}
WAIT = 10_000
QR_IMAGE = "data:image/svg+xml;base64,"


@dataclass
class Hall:
    site: LiveSite
    event: Event
    session: Session
    code: str
    delegate: Person
    moderator: Person
    database: Database


@pytest.fixture
async def hall(database_url: str, database: Database, demo_event: str) -> AsyncIterator[Hall]:
    async with database.session() as db:
        event = await factories.event_by_slug(db, demo_event)
        session = (await factories.sessions_of(db, event))[1]
        await factories.set_live_settings(db, event, moderated=True, anonymous_guests=True)
        delegate = await factories.person(db, event, "Hall Delegate", attendance=ONLINE)
        moderator = await factories.person(db, event, "Chair Person", role=Role.moderator)
        code = await hall_code(db, event_id=event.id or 0, session_id=session.id or 0)
    site = LiveSite(database_url)
    site.start()
    yield Hall(site, event, session, code, delegate, moderator, database)
    site.stop()


async def phone(browser: Any) -> tuple[Any, Any, PageProblems]:
    context = await browser.new_context(viewport=PHONE, locale="en-GB", is_mobile=True, has_touch=True)
    page = await context.new_page()
    return context, page, PageProblems(page)


async def live(page: Any) -> None:
    await page.wait_for_selector("#live-status[data-state='live']", timeout=WAIT)


@pytest.mark.slow  # about 17 s: a screen, a phone, a moderator's connection and a sign-in by mail
async def test_a_guest_asks_in_two_steps_votes_and_keeps_the_question_after_signing_in(
    browser: Any, hall: Hall
) -> None:
    site = hall.site
    screen_context = await browser.new_context(viewport=PROJECTOR, locale="en-GB")
    await screen_context.add_cookies([{"name": "podium_session", "value": hall.moderator.token, "url": site.url}])
    screen = await screen_context.new_page()
    await screen.goto(f"{site.url}/{hall.event.slug}/sessions/{hall.session.code}/screen")
    await live(screen)
    short_url = f"{site.url}/j/{hall.code}"
    await expect(screen.locator("#hall-code")).to_have_text(f"Room code: #{hall.code}")
    address = f"or go to 127.0.0.1:{site.port}/j and type the code"
    assert await screen.locator(".screen-url").first.text_content() == address
    qr = await screen.locator("#screen-qr").get_attribute("src")
    assert base64.b64decode(qr.removeprefix(QR_IMAGE)).decode() == qr_svg(short_url)  # the QR code opens short_url
    await assert_accessible(screen)

    moderator = await LiveClient().connect(site.url, cookie=hall.moderator.token)
    await moderator.join(hall.session.id or 0)

    context, guest, problems = await phone(browser)
    # Step 1: the short address, and the code from the screen.
    await guest.goto(f"{site.url}/j")
    await assert_accessible(guest)
    await guest.get_by_label("Room code").fill(hall.code.lower())
    await guest.get_by_role("button", name="Join").click()
    await guest.wait_for_url(short_url)
    await live(guest)
    # Step 2: ask.
    await guest.get_by_label("Your question").fill("Is the site open to visitors?")
    await guest.get_by_role("button", name="Ask").click()
    await expect(guest.locator("#ask-status")).to_contain_text("Your question was sent.", timeout=WAIT)

    queued = await moderator.wait_for(
        "room_event", lambda event: event["kind"] == "question" and event["data"]["status"] == "pending"
    )
    question = queued["data"]
    assert (question["text"], question["author"]["name"], question["origin"]) == (
        "Is the site open to visitors?",
        "Guest",
        "onsite",
    )
    mine = guest.locator("#questions li", has_text="Is the site open to visitors?")
    await expect(mine.locator(".tags")).to_contain_text("Waiting for review", timeout=WAIT)
    approved = await moderator.call("question.approve", {"session": hall.session.id, "question": question["id"]})
    assert approved["ok"] is True
    await expect(mine.locator(".tags")).to_have_text("Your question", timeout=WAIT)
    await mine.locator("button.vote").click()
    await expect(mine.locator(".vote-count")).to_have_text("1", timeout=WAIT)
    await assert_accessible(guest)

    await guest.evaluate("localStorage.clear()")  # the cookie alone remembers the guest
    await guest.reload()  # the question is still theirs, the vote still cast
    await live(guest)
    await expect(mine.locator(".tags")).to_have_text("Your question", timeout=WAIT)
    assert await mine.locator("button.vote").get_attribute("aria-pressed") == "true"
    guest_cookie = next(cookie for cookie in await context.cookies() if cookie["name"] == GUEST_COOKIE)
    assert guest_cookie["httpOnly"] is True

    # Later, the guest signs in on the same phone: the question and the vote become the account's.
    await guest.get_by_role("link", name="Sign in to keep your questions and votes with your account").click()
    await guest.get_by_label("Email address").fill(hall.delegate.account.email)
    await guest.get_by_role("button", name="Send me a sign-in link").click()
    await guest.wait_for_url("**/signin/sent")
    await guest.goto(site.url + await last_link(hall.database, hall.delegate.account.email))
    await guest.get_by_role("button", name="Sign in").click()
    await guest.wait_for_url(short_url)
    await live(guest)
    await expect(guest.locator(".hall-guest")).to_contain_text("You take part with your account.")
    await expect(mine.locator(".tags")).to_have_text("Your question", timeout=WAIT)
    assert await mine.locator("button.vote").get_attribute("aria-pressed") == "true"
    await expect(mine.locator(".vote-count")).to_have_text("1")
    async with hall.database.session() as db:
        stored = (await db.exec(select(Question).where(Question.id == question["id"]))).one()
    assert (stored.author_key, stored.account_id, stored.votes) == (hall.delegate.key, hall.delegate.account.id, 1)
    assert GUEST_COOKIE not in {cookie["name"] for cookie in await context.cookies()}
    assert problems.messages == []
    await moderator.close()


async def test_the_phone_refuses_guests_a_wrong_code_and_bad_questions_clearly(browser: Any, hall: Hall) -> None:
    site = hall.site
    _context, guest, _problems = await phone(browser)

    await guest.goto(f"{site.url}/j")
    await guest.get_by_label("Room code").fill("ZZZZZ")
    await guest.get_by_role("button", name="Join").click()
    await expect(guest.locator("#hall-code-error")).to_have_text(
        "There is no room with the code “ZZZZZ”. Please check the code on the room's screen."
    )
    await expect(guest.get_by_label("Room code")).to_have_value("ZZZZZ")
    await assert_accessible(guest)

    await guest.goto(f"{site.url}/j/{hall.code}")
    await live(guest)
    await guest.get_by_label("Your question").fill("\x00")
    await guest.get_by_role("button", name="Ask").click()
    await expect(guest.locator("#ask-status")).to_have_text("Please write something first.", timeout=WAIT)
    await guest.locator("#ask-text").evaluate(
        "(box) => { box.removeAttribute('maxlength'); box.value = 'x'.repeat(5000); }"
    )
    await guest.get_by_role("button", name="Ask").click()
    await expect(guest.locator("#ask-status")).to_have_text("Please keep it under 500 characters.", timeout=WAIT)

    async with hall.database.session() as db:
        await factories.set_live_settings(db, hall.event, anonymous_guests=False)
    response = await guest.goto(f"{site.url}/j/{hall.code}")
    assert response is not None and response.status == 403
    await expect(guest.locator(".entry-message")).to_have_text(
        "This room takes questions from people who are signed in. Please sign in to ask and vote."
    )
    await guest.get_by_role("link", name="Sign in", exact=True).click()
    await expect(guest.get_by_label("Email address")).to_be_visible()
    assert guest.url.endswith(f"/signin?next=%2Fj%2F{hall.code}")
    await assert_accessible(guest)
