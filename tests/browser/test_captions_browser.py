"""Live captions in Chromium: lines typed on the captioner page appear for a viewer under the player (and on the
room screen) in under a second, as text, and are in the session's WebVTT file afterwards; the viewer's choice of
language is remembered."""

from __future__ import annotations

import statistics
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest

from server.accounts.models import Role
from server.agenda.models import Session
from server.db import Database
from server.events.models import Event
from tests.support import factories
from tests.support.browser import PageProblems, assert_accessible
from tests.support.factories import ONLINE, Person
from tests.support.servers import LiveSite

pytestmark = [pytest.mark.browser, pytest.mark.integration]

WAIT = 10_000
INJECTION = "<img src=x onerror=window.__pwned=1>"
LINES = ["皆さん、おはようございます。", "Podium & friends --> captions", INJECTION]
# In the viewer's page: when each caption line appeared, by its text (the browsers share the machine's clock).
WATCH_LINES = """
window.__appeared = {};
new MutationObserver(() => {
  document.querySelectorAll("[data-captions-lines] p[data-seq]").forEach((line) => {
    if (!(line.textContent in window.__appeared)) window.__appeared[line.textContent] = Date.now();
  });
}).observe(document.querySelector("[data-captions-lines]"), { childList: true, subtree: true });
"""
# In the captioner's page: when Enter was pressed for each line.
WATCH_ENTER = """
window.__sent = [];
document.getElementById("caption-line").addEventListener("keydown", (event) => {
  if (event.key === "Enter") window.__sent.push([event.target.value, Date.now()]);
}, { capture: true });
"""


@dataclass
class Hall:
    site: LiveSite
    event: Event
    session: Session
    captioner: Person
    delegate: Person
    moderator: Person

    def path(self, page: str) -> str:
        return f"{self.site.url}/{self.event.slug}/sessions/{self.session.code}/{page}"


@pytest.fixture
async def hall(database_url: str, database: Database, demo_event: str) -> AsyncIterator[Hall]:
    async with database.session() as db:
        event = await factories.event_by_slug(db, demo_event)
        event.languages = "en,zh,ja"
        db.add(event)
        await db.commit()
        session = (await factories.sessions_of(db, event))[1]
        captioner = await factories.person(db, event, "Kana Captioner", role=Role.captioner, languages=("ja",))
        delegate = await factories.person(db, event, "Online Delegate", attendance=ONLINE)
        moderator = await factories.person(db, event, "Chair Person", role=Role.moderator)
    site = LiveSite(database_url)
    site.start()
    yield Hall(site, event, session, captioner, delegate, moderator)
    site.stop()


async def open_page(browser: Any, hall: Hall, page_name: str, person: Person) -> tuple[Any, PageProblems]:
    context = await browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-GB")
    await context.add_cookies([{"name": "podium_session", "value": person.token, "url": hall.site.url}])
    page = await context.new_page()
    problems = PageProblems(page)
    await page.goto(hall.path(page_name))
    await page.wait_for_selector("#live-status[data-state='live']", timeout=WAIT)
    return page, problems


async def test_typed_captions_reach_a_viewer_within_a_second_and_the_webvtt(browser: Any, hall: Hall) -> None:
    from playwright.async_api import expect

    captioner, captioner_problems = await open_page(browser, hall, "caption?language=ja", hall.captioner)
    viewer, viewer_problems = await open_page(browser, hall, "room", hall.delegate)
    screen, screen_problems = await open_page(browser, hall, "screen?captions=ja", hall.moderator)
    menu = viewer.locator("select[data-stream-captions]")
    await expect(menu).to_be_visible(timeout=WAIT)
    await menu.select_option("ja")
    lines = viewer.locator("[data-captions-lines]")
    await expect(lines).to_have_text("Captions will appear here.", timeout=WAIT)
    await viewer.evaluate(WATCH_LINES)
    await captioner.evaluate(WATCH_ENTER)

    for text in LINES:  # typed and sent with the keyboard alone: the line's field has the focus from the start
        await captioner.keyboard.type(text)
        await captioner.keyboard.press("Enter")
        await expect(lines.locator("p", has_text=text)).to_have_count(1, timeout=WAIT)
    sent = dict(await captioner.evaluate("window.__sent"))
    appeared = await viewer.evaluate("window.__appeared")
    delays = [appeared[text] - sent[text] for text in LINES]
    print(f"caption delays, Enter to shown (ms): {delays}")
    acknowledged = captioner.locator("#caption-sent li[data-state='sent']")
    await expect(acknowledged).to_have_count(3, timeout=WAIT)
    await expect(screen.locator("[data-captions-lines] p").last).to_have_text(INJECTION, timeout=WAIT)
    replay = await viewer.context.request.get(hall.path("captions/ja.vtt"))
    replay_text = await replay.text()
    await viewer.reload()
    await expect(viewer.locator("[data-captions-lines] p").last).to_have_text(INJECTION, timeout=WAIT)
    remembered = await viewer.locator("select[data-stream-captions]").input_value()

    assert statistics.median(delays) < 1000, delays
    assert await acknowledged.first.locator(".caption-state").text_content() == "Shown as line 3"
    assert await viewer.evaluate("window.__pwned") is None and await screen.evaluate("window.__pwned") is None
    assert await lines.get_attribute("aria-live") == "polite"
    assert replay.status == 200
    assert replay_text.startswith("WEBVTT\n")
    assert "皆さん、おはようございます。" in replay_text
    assert "Podium &amp; friends --&gt; captions" in replay_text
    assert "&lt;img src=x onerror=window.__pwned=1&gt;" in replay_text
    assert remembered == "ja"
    for page in (captioner, viewer):
        await assert_accessible(page)
    assert captioner_problems.messages + viewer_problems.messages + screen_problems.messages == []
