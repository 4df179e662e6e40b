"""Live rooms in Chromium against the real ASGI app (Socket.IO in front of Starlette): a delegate, a
moderator and the room screen, each in its own browser context (a guest from the hall: test_hall_journey.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from server.accounts.models import Role
from server.db import Database
from server.live.models import ChatMessage
from tests.support import factories
from tests.support.browser import PageProblems, assert_accessible
from tests.support.factories import ONLINE, Person, moderator_in
from tests.support.live_room import LiveRoom, live_room

pytestmark = [pytest.mark.browser, pytest.mark.integration]

INJECTION = "<img src=x onerror=window.__pwned=1>"
SCRIPT = "<script>window.__pwned=1</script>"
PHONE = {"width": 390, "height": 844}
PROJECTOR = {"width": 1280, "height": 720}
WAIT = 10_000


@pytest.fixture
async def room(database_url: str, database: Database, demo_event: str) -> AsyncIterator[LiveRoom]:
    async with live_room(database_url, database, demo_event, moderated=True, anonymous_guests=True) as found:
        yield found


async def open_page(
    browser: Any, room: LiveRoom, page_name: str, person: Person | None, viewport: dict[str, int] | None = None
) -> tuple[Any, PageProblems]:
    context = await browser.new_context(viewport=viewport or PROJECTOR, locale="en-GB")
    if person is not None:
        await context.add_cookies([{"name": "podium_session", "value": person.token, "url": room.site.url}])
    page = await context.new_page()
    problems = PageProblems(page)
    await page.goto(room.path(page_name))
    await live(page)
    return page, problems


async def live(page: Any) -> None:
    await page.wait_for_selector("#live-status[data-state='live']", timeout=WAIT)


async def expect_text(locator: Any, text: str) -> None:
    from playwright.async_api import expect

    await expect(locator).to_have_text(text, timeout=WAIT)


async def expect_contains(locator: Any, text: str) -> None:
    from playwright.async_api import expect

    await expect(locator).to_contain_text(text, timeout=WAIT)


async def ask(page: Any, text: str, *, anonymous: bool = False) -> None:
    await page.fill("#ask-text", text)
    if anonymous:
        await page.check("#ask-anonymous")
    await page.locator("#ask-form button[type=submit]").click()
    await expect_contains(page.locator("#ask-status"), "Your question was sent.")


async def test_question_is_approved_highlighted_and_voted_across_pages(browser: Any, room: LiveRoom) -> None:
    delegate, delegate_problems = await open_page(browser, room, "room", room.delegate, PHONE)
    moderator, moderator_problems = await open_page(browser, room, "moderate", room.moderator, PHONE)
    screen, screen_problems = await open_page(browser, room, "screen", room.moderator, PROJECTOR)

    await ask(delegate, "How are the murals kept dry?")
    mine = delegate.locator("#questions li", has_text="How are the murals kept dry?")
    await expect_contains(mine.locator(".tags"), "Waiting for review")

    queued = moderator.locator("#queue li", has_text="How are the murals kept dry?")
    await expect_contains(queued, "Online Delegate · Online · Indonesia")
    await queued.get_by_role("button", name="Approve").click()
    published = moderator.locator("#published li", has_text="How are the murals kept dry?")
    await published.get_by_role("button", name="Show on screen").click()

    await expect_text(screen.locator("#screen-question-text"), "How are the murals kept dry?")
    await expect_text(screen.locator("#screen-question-meta"), "Online Delegate · Online · Indonesia")
    await expect_text(delegate.locator("#on-screen .on-screen-text"), "How are the murals kept dry?")
    await expect_text(mine.locator(".tags"), "Your question On screen now")

    await mine.locator("button.vote").click()
    await expect_text(mine.locator(".vote-count"), "1")
    assert await mine.locator("button.vote").get_attribute("aria-pressed") == "true"
    await expect_contains(published.locator(".question-meta"), "Votes: 1")
    await mine.locator("button.vote").click()
    await expect_contains(published.locator(".question-meta"), "Votes: 0")

    for page in (delegate, moderator, screen):
        await assert_accessible(page)
    assert delegate_problems.messages + moderator_problems.messages + screen_problems.messages == []


async def test_chat_and_poll_reach_the_other_page(browser: Any, room: LiveRoom) -> None:
    delegate, delegate_problems = await open_page(browser, room, "room", room.delegate, PHONE)
    moderator, moderator_problems = await open_page(browser, room, "moderate", room.moderator)

    await delegate.get_by_role("tab", name="Chat").click()  # on a phone, questions and chat are tabs
    await delegate.fill("#chat-text", "Greetings from Jakarta")
    await delegate.press("#chat-text", "Enter")
    message = moderator.locator("#chat li", has_text="Greetings from Jakarta")
    await expect_contains(message.locator(".chat-author"), "Online Delegate")

    await moderator.fill("#poll-question", "Which site should we visit?")
    await moderator.fill("#poll-options", "Mogao Caves\nLongmen Grottoes")
    await moderator.get_by_role("button", name="Create poll").click()
    poll = moderator.locator("#polls li", has_text="Which site should we visit?")
    await poll.get_by_role("button", name="Open").click()

    ballot = delegate.locator("#poll form")
    await expect_contains(ballot.locator("legend"), "Which site should we visit?")
    await ballot.get_by_label("Longmen Grottoes").check()
    await ballot.get_by_role("button", name="Vote").click()
    await expect_contains(ballot.locator(".form-status"), "Your vote is counted.")
    longmen = poll.locator(".poll-result", has_text="Longmen Grottoes")
    await expect_text(longmen.locator(".result-count"), "1 (100%)")
    await expect_text(poll.locator(".poll-voters"), "1 person voted")
    assert await delegate.locator("#poll .poll-results").count() == 0  # hidden until the moderators show them

    await poll.get_by_role("button", name="Show results").click()
    shown = delegate.locator("#poll .poll-result", has_text="Longmen Grottoes")
    await expect_text(shown.locator(".result-count"), "1 (100%)")

    await message.get_by_role("button", name="Delete").click()
    await expect_text(delegate.locator("#chat"), "")

    await assert_accessible(delegate)
    await assert_accessible(moderator)
    assert delegate_problems.messages + moderator_problems.messages == []


async def test_muted_delegate_sees_it_at_once_and_pages_back_through_the_chat(browser: Any, room: LiveRoom) -> None:
    async with room.database.session() as db:
        for n in range(60):
            db.add(
                ChatMessage(
                    event_id=room.event.id or 0,
                    session_id=room.session.id or 0,
                    author_key="a0",
                    author_name="Early Bird",
                    origin="online",
                    text=f"Earlier message {n}",
                    client_id=f"earlier-message-{n}",
                )
            )
        await db.commit()
    delegate, delegate_problems = await open_page(browser, room, "room", room.delegate, PHONE)
    moderator, moderator_problems = await open_page(browser, room, "moderate", room.moderator, PHONE)

    await delegate.get_by_role("tab", name="Chat").click()
    earlier = delegate.get_by_role("button", name="Load earlier messages")
    await expect_text(delegate.locator("#chat li").first.locator(".chat-text"), "Earlier message 10")
    await earlier.click()
    await expect_text(delegate.locator("#chat li").first.locator(".chat-text"), "Earlier message 0")
    assert await delegate.locator("#chat li").count() == 60
    assert await earlier.is_hidden()

    await delegate.fill("#chat-text", "Hello from Jakarta")
    await delegate.press("#chat-text", "Enter")
    message = moderator.locator("#chat li", has_text="Hello from Jakarta")
    await message.get_by_role("button", name="Mute").click()
    note = delegate.locator("#chat-note")
    await expect_text(note, "A moderator has muted you in this room's chat.")
    assert await delegate.locator("#chat-text").is_disabled()
    muted = moderator.locator("#muted li", has_text="Online Delegate")
    await expect_contains(muted.locator(".muted-name"), "Online Delegate Online · Indonesia")
    await expect_contains(muted.locator(".muted-meta"), "by Chair Person")
    await assert_accessible(delegate)
    await assert_accessible(moderator)

    await delegate.reload()  # a new connection learns it from the join answer
    await live(delegate)
    await expect_text(note, "A moderator has muted you in this room's chat.")
    await muted.get_by_role("button", name="Unmute Online Delegate").click()
    await expect_text(moderator.locator("#muted-count"), "0")
    assert await moderator.locator("#muted-empty").is_visible()
    await delegate.wait_for_selector("#chat-note", state="hidden", timeout=WAIT)
    assert await delegate.locator("#chat-text").is_enabled()
    assert delegate_problems.messages + moderator_problems.messages == []


async def test_script_injection_is_shown_as_text(browser: Any, room: LiveRoom) -> None:
    async with room.database.session() as db:
        attacker = await factories.person(db, room.event, INJECTION, attendance=ONLINE, country="ID")
    delegate, delegate_problems = await open_page(browser, room, "room", attacker, PHONE)
    moderator, moderator_problems = await open_page(browser, room, "moderate", room.moderator)
    screen, screen_problems = await open_page(browser, room, "screen", room.moderator)

    await ask(delegate, SCRIPT + INJECTION)
    await delegate.get_by_role("tab", name="Chat").click()
    await delegate.fill("#chat-text", INJECTION + SCRIPT)
    await delegate.press("#chat-text", "Enter")
    queued = moderator.locator("#queue li").first
    await expect_text(queued.locator(".question-text"), SCRIPT + INJECTION)
    await queued.get_by_role("button", name="Approve").click()
    published = moderator.locator("#published li").first
    await published.get_by_role("button", name="Label").click()
    await published.locator(".mod-editor input").fill(INJECTION)
    await published.get_by_role("button", name="Save").click()
    await published.get_by_role("button", name="Show on screen").click()
    await moderator.fill("#poll-question", SCRIPT)
    await moderator.fill("#poll-options", INJECTION + "\n" + SCRIPT)
    await moderator.get_by_role("button", name="Create poll").click()
    await moderator.locator("#polls li").first.get_by_role("button", name="Open").click()

    mine = delegate.locator("#questions li").first
    await expect_text(mine.locator(".question-text"), SCRIPT + INJECTION)
    await expect_contains(mine.locator(".question-meta"), INJECTION)
    await expect_contains(mine.locator(".tag-label"), INJECTION)
    await expect_text(delegate.locator("#chat .chat-text"), INJECTION + SCRIPT)
    await expect_text(delegate.locator("#poll legend"), SCRIPT)
    await expect_text(moderator.locator("#chat .chat-author"), INJECTION)
    await expect_text(screen.locator("#screen-question-text"), SCRIPT + INJECTION)
    await expect_contains(screen.locator("#screen-question-meta"), INJECTION)
    for page in (delegate, moderator, screen):
        assert await page.evaluate("typeof window.__pwned") == "undefined"
        assert await page.locator("img[src='x']").count() == 0
    assert delegate_problems.messages + moderator_problems.messages + screen_problems.messages == []


async def test_reconnect_catches_up_on_what_was_missed(browser: Any, room: LiveRoom) -> None:
    delegate, problems = await open_page(browser, room, "room", room.delegate, PHONE)
    moderator, _ = await open_page(browser, room, "moderate", room.moderator)
    await ask(delegate, "Will the slides be shared?")
    queued = moderator.locator("#queue li", has_text="Will the slides be shared?")
    await expect_contains(queued, "Will the slides be shared?")

    assert await room.site.drop_connections(room.delegate.account.id or 0) == 1
    await delegate.wait_for_selector("#live-status[data-state='reconnecting']", timeout=WAIT)
    # While the delegate is away: approved and put on screen, broadcasts the delegate never receives.
    await queued.get_by_role("button", name="Approve").click()
    published = moderator.locator("#published li", has_text="Will the slides be shared?")
    await published.get_by_role("button", name="Show on screen").click()
    await expect_contains(moderator.locator("#highlight-text"), "Will the slides be shared?")

    await live(delegate)
    mine = delegate.locator("#questions li", has_text="Will the slides be shared?")
    await expect_text(mine.locator(".tags"), "Your question On screen now")
    await expect_text(delegate.locator("#on-screen .on-screen-text"), "Will the slides be shared?")
    assert problems.messages == []


async def test_announcement_form_reaches_an_open_room(browser: Any, room: LiveRoom) -> None:
    delegate, delegate_problems = await open_page(browser, room, "room", room.delegate, PHONE)
    context = await browser.new_context(locale="en-GB")
    await context.add_cookies([{"name": "podium_session", "value": room.organiser.token, "url": room.site.url}])
    organiser = await context.new_page()
    organiser_problems = PageProblems(organiser)
    await organiser.goto(f"{room.site.url}/{room.event.slug}/organiser/announcements")
    await assert_accessible(organiser)
    await organiser.fill("#announcement-text", "Lunch is served in the east hall. " + INJECTION)
    async with organiser.expect_navigation():
        await organiser.get_by_role("button", name="Send to every room").click()
    await expect_contains(organiser.locator(".message-success"), "Your announcement was sent to every room.")

    banner = delegate.locator("#announcements .announcement-text")
    await expect_text(banner, "Lunch is served in the east hall. " + INJECTION)
    assert await delegate.evaluate("typeof window.__pwned") == "undefined"
    await assert_accessible(delegate)
    assert delegate_problems.messages + organiser_problems.messages == []


async def test_refusal_page_is_clear_and_accessible(browser: Any, room: LiveRoom) -> None:
    context = await browser.new_context(viewport=PHONE, locale="en-GB")
    page = await context.new_page()
    response = await page.goto(room.path("room"))
    assert response is not None and response.status == 403
    await expect_text(page.locator(".entry-message"), "Please sign in to enter the live room.")
    await assert_accessible(page)


async def test_revocation_shows_on_the_open_pages_why_they_stopped(browser: Any, room: LiveRoom) -> None:
    from server.accounts.services import revoke_role
    from server.registration.services import cancel_registration

    async with room.database.session() as db:
        chair = await factories.person(db, room.event, "Registered Chair", role=Role.moderator, attendance=ONLINE)
    delegate, delegate_problems = await open_page(browser, room, "room", room.delegate, PHONE)
    moderator, moderator_problems = await open_page(browser, room, "moderate", chair, PHONE)
    in_room, in_room_problems = await open_page(browser, room, "room", chair, PHONE)

    async with room.database.session() as db:
        await cancel_registration(db, event=room.event, account=room.delegate.account)
    async with room.database.session() as db:
        await revoke_role(db, event=room.event, email=chair.account.email, role=Role.moderator)

    await delegate.wait_for_selector("#live-status[data-state='refused']", timeout=WAIT)
    await moderator.wait_for_selector("#live-status[data-state='refused']", timeout=WAIT)
    await expect_text(delegate.locator("#live-status"), "This room is open to people registered for the event.")
    await expect_text(moderator.locator("#live-status"), "You can no longer moderate this room.")
    # The room page stays, as a delegate's: a fresh snapshot, and the reason by the status.
    await expect_text(in_room.locator("#live-status"), "You can no longer moderate this room.")
    assert await in_room.locator("#live-status").get_attribute("data-state") == "live"
    assert delegate_problems.messages + moderator_problems.messages + in_room_problems.messages == []


async def test_resync_brings_a_change_whose_broadcast_was_lost(browser: Any, room: LiveRoom) -> None:
    """What the message bus lost (Redis down between processes), a ``resync`` brings from the database."""
    import asyncio

    from server.live.chat import send_message

    delegate, problems = await open_page(browser, room, "room", room.delegate, PHONE)
    live = room.site.live
    # The coalesced counts of the delegate's arrival (which carry the room's seq) have come and gone.
    for _ in range(100):
        if live.coalescer.flushes:
            break
        await asyncio.sleep(0.1)
    chair = moderator_in(room.moderator, event=room.event, session=room.session)
    async with room.database.session() as db:  # committed, never broadcast
        await send_message(db, actor=chair, session_id=chair.session_id, text="Lost on the bus", client_id="lost-0001")

    resync = live.sio.emit("resync", {}, namespace="/live")
    await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(resync, live.loop))

    await expect_contains(delegate.locator("#chat li", has_text="Lost on the bus"), "Lost on the bus")
    assert problems.messages == []
