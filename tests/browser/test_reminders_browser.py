"""Reminders in Chromium: the service worker registers from Podium's own origin (/sw.js, served as JavaScript with
the whole site as its scope), the reminder page offers this browser's notifications and is axe-clean, and the
cached session page's link says the delegate's own reminder. Delivering a real push into Chromium needs a push
service and is left out (tests/reminders/test_web_push.py covers the messages)."""

from __future__ import annotations

from typing import Any

import pytest

from server.db import Database
from tests.support.artefacts import artefact_dir
from tests.support.browser import assert_accessible, signed_in_page
from tests.support.reminders import picked_session, remind
from tests.support.servers import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.integration]


async def test_service_worker_registers_from_podiums_origin_and_the_reminder_shows(
    browser: Any, live_server: LiveServer, demo_event: str, database: Database
) -> None:
    picked = await picked_session(database, demo_event)
    session, delegate = picked.session, picked.delegate
    await remind(database, picked, minutes=30)
    base = live_server.url
    page, problems = await signed_in_page(browser, base, delegate.token)

    worker = await page.request.get(f"{base}/sw.js")
    await page.goto(f"{base}/{demo_event}/sessions/{session.code}/reminder")
    registered = await page.evaluate(
        "navigator.serviceWorker.ready.then((r) => ({scope: r.scope, script: r.active && r.active.scriptURL}))"
    )

    assert worker.status == 200
    assert worker.headers["content-type"] == "text/javascript; charset=utf-8"
    assert worker.headers["service-worker-allowed"] == "/"
    assert registered == {"scope": f"{base}/", "script": f"{base}/sw.js"}
    await page.locator(".push-on").wait_for(state="visible")
    assert await page.locator(".reminder-status").inner_text() == "Reminder: 30 minutes before it starts"
    await assert_accessible(page)
    await page.set_viewport_size({"width": 320, "height": 700})  # the narrowest phone: nothing scrolls sideways
    assert await page.evaluate("document.scrollingElement.scrollWidth - document.scrollingElement.clientWidth") == 0
    await page.screenshot(path=str(artefact_dir("screenshots") / "reminder-phone.png"), full_page=True)

    await page.goto(f"{base}/{demo_event}/sessions/{session.code}")
    link = page.locator(".reminder-link[data-reminded='yes'] a")
    await link.wait_for()
    assert await link.inner_text() == "Reminder: 30 minutes before it starts"
    await link.click()
    await page.wait_for_url(f"{base}/{demo_event}/sessions/{session.code}/reminder")
    assert problems.messages == []
