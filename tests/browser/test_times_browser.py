"""Times in the browser read like the agenda: a chat line's time is in the event's zone and the page's language,
24-hour, equal to what Babel prints on the server for the same instant, whatever the browser's own zone."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import pytest

from server import formats
from tests.support import factories
from tests.support.browser import PageProblems
from tests.support.factories import ONLINE, Person
from tests.support.servers import LiveSite

pytestmark = [pytest.mark.browser, pytest.mark.integration]

WAIT = 10_000
EVENT_ZONE = "Asia/Shanghai"  # the demo event's


@pytest.fixture
async def room(database_url: str, database: Any, demo_event: str) -> AsyncIterator[tuple[LiveSite, str, Person]]:
    async with database.session() as db:
        event = await factories.event_by_slug(db, demo_event)
        session = (await factories.sessions_of(db, event))[1]
        delegate = await factories.person(db, event, "Online Delegate", attendance=ONLINE, country="ID")
    site = LiveSite(database_url)
    site.start()
    yield site, f"{site.url}/{event.slug}/sessions/{session.code}/room", delegate
    site.stop()


async def room_page(browser: Any, site: LiveSite, url: str, person: Person, *, locale: str, zone: str) -> Any:
    """The room page in a browser whose own language and zone are ``locale`` and ``zone``."""
    context = await browser.new_context(locale=locale, timezone_id=zone)
    await context.add_cookies([{"name": "podium_session", "value": person.token, "url": site.url}])
    page = await context.new_page()
    page.problems = PageProblems(page)
    await page.goto(url)
    await page.wait_for_selector("#live-status[data-state='live']", timeout=WAIT)
    return page


async def test_a_chat_lines_time_is_the_events_in_the_pages_language(browser: Any, room: Any) -> None:
    site, url, delegate = room
    english = await room_page(browser, site, url + "?lang=en", delegate, locale="en-US", zone="America/Los_Angeles")
    chinese = await room_page(browser, site, url + "?lang=zh-Hans", delegate, locale="zh-CN", zone="Europe/Berlin")

    await english.fill("#chat-text", "Greetings from Jakarta")
    await english.press("#chat-text", "Enter")

    for page, locale in ((english, "en"), (chinese, "zh_Hans")):
        stamp = page.locator("#chat li", has_text="Greetings from Jakarta").locator("time")
        await stamp.wait_for(timeout=WAIT)
        moment = dt.datetime.fromisoformat((await stamp.get_attribute("datetime")).replace("Z", "+00:00"))
        shown = await stamp.text_content()
        assert await page.evaluate("document.documentElement.dataset.timeZone") == EVENT_ZONE
        assert shown == formats.time(moment, EVENT_ZONE, locale=locale)  # "14:05", as the agenda writes it
        assert shown != formats.time(moment, await page.evaluate("Intl.DateTimeFormat().resolvedOptions().timeZone"))
        # The session's own times in the heading come from Babel on the server, in the same 24-hour form.
        heading = await page.locator(".live-kicker time").first.text_content()
        assert len(heading) == 5 and heading[2] == ":"
        # The other formatters agree with the server's too: a date with a time, and a grouped number.
        script = await page.evaluate("document.querySelector('script[src$=\"live/room.js\"]').src")
        when = script.replace("live/room.js", "common/when.js")
        shown_by_script = await page.evaluate(
            "async ([url, iso]) => { const when = await import(url); return [when.dateTime(iso), when.number(12345.5)]; }",
            [when, moment.isoformat()],
        )
        assert shown_by_script == [
            formats.datetime(moment, EVENT_ZONE, locale=locale),
            formats.number(12345.5, locale=locale),
        ]
        assert page.problems.messages == []
