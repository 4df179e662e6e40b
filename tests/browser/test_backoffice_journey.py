"""The organisers' back office end to end in Chromium, from an empty database: the instance admin made with the CLI
signs in by a mailed link, creates the event, its rooms, a speaker and two sessions, releases the programme, publishes
the event and opens registration; a delegate registers in a second browser and picks a session; the organiser moves
that session from the grid with the keyboard and releases again; the delegate is mailed the change and sees the new
time; a moderator invited by mail accepts in a third browser and opens the session's console. After the CLI, every
step goes through the pages, and every link is read from the mails the SMTP server accepted."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import time
from collections.abc import AsyncIterator, Iterator
from email.header import decode_header, make_header
from email.message import Message
from typing import Any

import pytest

from server import formats
from tests.support.browser import PageProblems, assert_accessible
from tests.support.commands import podium
from tests.support.servers import LiveSite
from tests.support.smtp_sink import SmtpSink

pytestmark = [pytest.mark.browser, pytest.mark.integration]

WAIT = 15_000
ADMIN = "admin@example.org"
DELEGATE = "amara.diallo@example.org"
MODERATOR = "chair@example.org"
TITLE = "Lagoon Water Summit"
SLUG = "lagoon-water-summit"
ZONE = "Africa/Dakar"  # UTC all year: the times typed are the times mailed
FIRST_DAY = dt.date.today() + dt.timedelta(days=45)
PICKED = "Saving the mangroves"
OTHER = "Fisheries after the dam"


@pytest.fixture
async def sink() -> AsyncIterator[SmtpSink]:
    server = await SmtpSink().start()
    yield server
    await server.stop()


@pytest.fixture
def site(database_url: str, sink: SmtpSink) -> Iterator[LiveSite]:
    served = LiveSite(database_url, smtp_port=sink.port)
    served.start()
    yield served
    served.stop()


def text_of(mail: Message) -> str:
    for part in mail.walk():
        if part.get_content_type() == "text/plain":
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            return payload.decode(part.get_content_charset() or "utf-8")
    raise AssertionError(f"no text in the mail {mail['Subject']!r}")


def subject_of(mail: Message) -> str:
    return str(make_header(decode_header(str(mail["Subject"]))))


class Mailbox:
    """The mails the SMTP sink accepted, read as their recipients read them."""

    def __init__(self, sink: SmtpSink, site: LiveSite) -> None:
        self.sink = sink
        self.site = site
        self.read: set[int] = set()  # the mails already handled, by their place in the sink

    async def next_to(self, address: str, *, timeout: float = 30) -> tuple[str, str]:
        """The subject and text of the next mail to ``address`` the sink accepts."""
        deadline = time.monotonic() + timeout
        while True:
            for index, mail in enumerate(list(self.sink.accepted)):
                if index not in self.read and address in str(mail["To"]):
                    self.read.add(index)
                    return subject_of(mail), text_of(mail)
            assert time.monotonic() < deadline, f"no mail to {address}: {self.sink.recipients()}"
            await asyncio.sleep(0.05)  # the outbox is delivered by the server's own loop, in its thread

    def link(self, text: str, path: str) -> str:
        """The one link in ``text`` to this site whose path matches ``path`` (a regular expression)."""
        links = re.findall(re.escape(self.site.url) + r"(/\S*)", text)
        matching = [link for link in links if re.fullmatch(path, link)]
        assert len(matching) == 1, text
        return self.site.url + matching[0]


async def expect_text(locator: Any, text: str | re.Pattern[str] | list[Any]) -> None:
    from playwright.async_api import expect

    await expect(locator).to_have_text(text, timeout=WAIT)


async def submit(page: Any, name: str) -> None:
    async with page.expect_navigation():
        await page.get_by_role("button", name=name, exact=True).click()


async def follow(page: Any, name: str | re.Pattern[str]) -> None:
    async with page.expect_navigation():
        await page.get_by_role("link", name=name, exact=True).first.click()


async def section(page: Any, name: str) -> None:
    """Opens a section from the back office's own menu."""
    menu = page.get_by_role("navigation", name=f"Running {TITLE}")
    async with page.expect_navigation():
        await menu.get_by_role("link", name=name, exact=True).click()


async def sign_in_by_mail(page: Any, mailbox: Mailbox, email: str) -> None:
    await page.fill("#signin-email", email)
    await submit(page, "Send me a sign-in link")
    _, text = await mailbox.next_to(email)
    await page.goto(mailbox.link(text, r"/signin/[A-Za-z0-9_-]+"))
    await submit(page, "Sign in")


async def add_room(page: Any, name: str, seats: int) -> None:
    await follow(page, "Add a room")
    await page.fill("#part-name", name)  # the slug, left empty, is made from the name
    await page.fill("#part-capacity", str(seats))
    await page.check("#part-streamed")
    await submit(page, "Save")


async def add_session(page: Any, title: str, room: str, start: str, speaker: str | None) -> None:
    await page.fill("#s-title", title)
    await page.fill("#s-abstract", f"{title}: what changed on the coast, and what to do next.")
    await page.select_option("#s-room", label=room)
    await page.fill("#s-day", FIRST_DAY.isoformat())
    await page.fill("#s-start", start)
    await page.fill("#s-duration", "60")
    if speaker is not None:
        await page.select_option("#s-speaker-0", label=speaker)
    await submit(page, "Save")
    await expect_text(page.locator(".message-success"), "Saved. The change goes public with the next release.")


async def test_from_an_empty_database_to_a_moderated_session(
    browser: Any, site: LiveSite, sink: SmtpSink, database_url: str
) -> None:
    # The only step outside the browser: the operator makes the instance admin.
    granted = await asyncio.to_thread(podium, "grant-role", ADMIN, "admin", env={"PODIUM_DATABASE_URL": database_url})
    assert granted.returncode == 0, granted.stderr
    mailbox = Mailbox(sink, site)
    base = site.url

    organiser_context = await browser.new_context(locale="en-GB")
    organiser_context.set_default_timeout(WAIT)
    organiser = await organiser_context.new_page()
    organiser_problems = PageProblems(organiser)

    # Sign in with the mailed link.
    await organiser.goto(f"{base}/signin")
    await assert_accessible(organiser)
    await sign_in_by_mail(organiser, mailbox, ADMIN)
    await follow(organiser, "My account")
    await assert_accessible(organiser)

    # Create the event, typing each field.
    await follow(organiser, "Create an event")
    await assert_accessible(organiser)
    await organiser.fill("#event-title", TITLE)
    assert await organiser.input_value("#event-slug") == SLUG
    await organiser.fill("#event-acronym", "LWS")
    await organiser.fill("#event-start_date", FIRST_DAY.isoformat())
    await organiser.fill("#event-end_date", (FIRST_DAY + dt.timedelta(days=1)).isoformat())
    await organiser.fill("#event-timezone", ZONE)
    await organiser.fill("#event-venue", "Maison des Pêcheurs")
    await organiser.fill("#event-address", "Route de la Corniche, Dakar")
    await organiser.check("#event-attendance-hybrid")
    await organiser.check("#event-language-fr")
    await organiser.fill("#event-description", "Three lagoons, one conversation.")
    await organiser.fill("#event-contact_email", "secretariat@example.org")
    await submit(organiser, "Create the event")
    assert organiser.url == f"{base}/{SLUG}/organiser/event"
    assert await organiser.locator(".event-state").get_attribute("data-state") == "draft"
    await assert_accessible(organiser)

    # Two rooms.
    await section(organiser, "Dashboard")
    await assert_accessible(organiser)
    await section(organiser, "Rooms, tracks and kinds")
    await assert_accessible(organiser)
    await add_room(organiser, "Baobab Hall", 120)
    await add_room(organiser, "Mangrove Room", 40)
    rooms = organiser.locator("#rooms ~ table tbody tr td:first-child")
    await expect_text(rooms, ["Baobab Hall baobab-hall", "Mangrove Room mangrove-room"])

    # A speaker.
    await section(organiser, "People")
    await assert_accessible(organiser)
    await follow(organiser, "Add a person")
    await assert_accessible(organiser)
    await organiser.fill("#person-name", "Fatou Ndiaye")
    await organiser.fill("#person-organisation", "Institut des Lagunes")
    await organiser.select_option("#person-country", "SN")
    await organiser.fill("#person-biography", "Studies the salt front of the Saloum delta.")
    await submit(organiser, "Save")

    # Two sessions in the programme editor, one in each room, the speaker on the first.
    await section(organiser, "Programme")
    await assert_accessible(organiser)
    await follow(organiser, "Add the first one")
    await assert_accessible(organiser)
    await add_session(organiser, PICKED, "Baobab Hall (120 seats)", "09:30", "Fatou Ndiaye (Institut des Lagunes)")
    await follow(organiser, "New session")
    await add_session(organiser, OTHER, "Mangrove Room (40 seats)", "11:00", None)

    # Release the programme, publish the event.
    await follow(organiser, "Release changes")
    await assert_accessible(organiser)
    assert await organiser.locator("ul[data-kind='new'] li").count() == 2
    await expect_text(
        organiser.locator("p", has_text="Nothing is released yet"), re.compile("public programme is empty")
    )
    await submit(organiser, "Release as version 1")
    await expect_text(organiser.locator(".message-success"), re.compile(r"Release 1 is public\."))
    await section(organiser, "Event")
    await submit(organiser, "Publish the event")
    assert await organiser.locator(".event-state").get_attribute("data-state") == "published"

    # Registration: open now, with no closing date.
    await section(organiser, "Registration")
    await assert_accessible(organiser)
    await organiser.fill("#opens_at", "")
    await organiser.fill("#closes_at", "")
    await submit(organiser, "Save")
    await expect_text(organiser.locator(".message-success"), "The registration settings are saved.")

    # A delegate registers in a second browser, confirms from the mail and picks the session.
    delegate_context = await browser.new_context(locale="en-GB")
    delegate_context.set_default_timeout(WAIT)
    delegate = await delegate_context.new_page()
    delegate_problems = PageProblems(delegate)
    await delegate.goto(f"{base}/")  # the published event is listed on the site's home page
    await follow(delegate, TITLE)
    await expect_text(delegate.locator(".agenda-item, .card", has_text=PICKED).locator("h4, a").first, PICKED)
    await assert_accessible(delegate)
    await follow(delegate, "Register")
    await assert_accessible(delegate)
    await delegate.fill("#reg-name", "Amara Diallo")
    await delegate.fill("#reg-email", DELEGATE)
    await delegate.select_option("#reg-country", "SN")
    await delegate.fill("#reg-organisation", "Ville de Joal")
    await delegate.check("#reg-onsite")
    await submit(delegate, "Register")
    assert delegate.url == f"{base}/{SLUG}/register/sent"
    _, confirmation = await mailbox.next_to(DELEGATE)
    await delegate.goto(mailbox.link(confirmation, r"/signin/[A-Za-z0-9_-]+"))
    await submit(delegate, "Sign in")
    assert delegate.url == f"{base}/{SLUG}/registration"
    await assert_accessible(delegate)
    await follow(delegate, "Choose sessions")
    await assert_accessible(delegate)
    async with delegate.expect_navigation():
        await delegate.locator(".pick-row", has_text=PICKED).get_by_role("button", name=re.compile("^Add")).click()
    await expect_text(delegate.locator(".pick-row.is-picked a"), [PICKED])
    await follow(delegate, "Back to my registration")
    agenda = delegate.locator(".my-agenda li", has_text=PICKED)
    await expect_text(agenda.locator(".agenda-time"), re.compile("09:30–10:30"))

    # The organiser moves the session from the grid, with the keyboard, and releases the change.
    await section(organiser, "Programme")
    card = organiser.locator("article.editor-card", has_text=PICKED)
    await card.locator("summary").focus()
    await organiser.keyboard.press("Enter")
    await card.locator("input[name='start']").focus()
    await organiser.keyboard.type("1415")
    async with organiser.expect_navigation():
        await card.get_by_role("button", name=re.compile(f"^Move.*{PICKED}")).press("Enter")
    await expect_text(card.locator(".editor-state"), re.compile("Changed, not released"))
    await expect_text(card.locator(".card-time time").first, "14:15")
    await follow(organiser, "Release changes")
    assert await organiser.locator("ul[data-kind='moved'] li").count() == 1
    await submit(organiser, "Release as version 2")
    await expect_text(organiser.locator(".message-success"), re.compile(r"Release 2 is public\."))

    # The delegate is mailed the change and sees the new time.
    subject, change = await mailbox.next_to(DELEGATE)
    assert subject == f"Programme changes: {TITLE}"
    assert f"“{PICKED}”: new time or room" in change
    assert f"{formats.date(FIRST_DAY, locale='en')}, 14:15–15:15 ({ZONE})" in change  # "Oct 27, 2021, 14:15–15:15"
    await delegate.goto(mailbox.link(change, rf"/{SLUG}/registration"))
    await expect_text(agenda.locator(".agenda-time"), re.compile("14:15–15:15"))
    await assert_accessible(delegate)

    # The organiser invites a moderator of that session by mail.
    await section(organiser, "Staff")
    await assert_accessible(organiser)
    await organiser.fill("#invite-email", MODERATOR)
    await organiser.select_option("#invite-role", label="Moderator")
    await organiser.select_option("#invite-session", label=PICKED)
    await submit(organiser, "Send the invitation")
    await expect_text(
        organiser.locator(".notice[data-kind=success] .notice-message"),
        "The invitation is sent. The role is granted when its link is accepted.",
    )

    # The moderator accepts in a third browser and opens the session's console.
    moderator_context = await browser.new_context(locale="en-GB")
    moderator_context.set_default_timeout(WAIT)
    moderator = await moderator_context.new_page()
    moderator_problems = PageProblems(moderator)
    _, invitation = await mailbox.next_to(MODERATOR)
    await moderator.goto(mailbox.link(invitation, rf"/{SLUG}/invitations/[A-Za-z0-9_-]+"))
    await assert_accessible(moderator)
    await submit(moderator, "Accept the invitation")
    assert re.fullmatch(rf"{base}/{SLUG}/sessions/[a-z0-9-]+/moderate", moderator.url)
    console = moderator.url
    # Connected before leaving: a page left mid-handshake has Chromium log the closed socket as an error.
    await moderator.wait_for_selector("#live-status[data-state='live']", timeout=WAIT)
    await follow(moderator, "My account")  # the account page lists the tools the role gives
    await assert_accessible(moderator)
    await follow(moderator, f"Console: {PICKED}")
    assert moderator.url == console
    await moderator.wait_for_selector("#live-status[data-state='live']", timeout=WAIT)
    await expect_text(moderator.locator("h1"), PICKED)
    await expect_text(moderator.locator(".live-kicker"), "LWS · Baobab Hall · 14:15–15:15")
    await assert_accessible(moderator)

    assert organiser_problems.messages == []
    assert delegate_problems.messages == []
    assert moderator_problems.messages == []
