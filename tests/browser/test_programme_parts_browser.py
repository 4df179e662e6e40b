"""An organiser builds the programme's parts in Chromium with the keyboard: a room moved up the order, a speaker's
photo, a session's link; every page passes axe-core, and the public session page shows the photo and the link."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from server.accounts.models import Role
from server.agenda.services import load_programme
from server.db import Database
from server.events.services import get_event
from tests.support import factories
from tests.support.browser import assert_accessible, signed_in_page
from tests.support.servers import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.integration]


async def test_organiser_orders_rooms_by_keyboard_and_adds_a_photo_and_a_link(
    browser: Any, live_server: LiveServer, demo_event: str, database: Database, tmp_path: Path
) -> None:
    async with database.session() as db:
        event = await get_event(db, slug=demo_event)
        organiser = await factories.person(db, event, "Programme Organiser", role=Role.organiser)
        speaker = (await load_programme(db, event=event)).session("OPEN").speakers[0]
    photo = tmp_path / "speaker.png"
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), (20, 120, 60)).save(buffer, "PNG")
    photo.write_bytes(buffer.getvalue())
    page, problems = await signed_in_page(browser, live_server.url, organiser.token)

    await page.goto(f"{live_server.url}/{demo_event}/organiser")
    async with page.expect_navigation():
        await page.get_by_role("link", name="Rooms, tracks and kinds").click()
    await assert_accessible(page)
    await page.get_by_role("button", name="Move Jade Room up").focus()
    async with page.expect_navigation():
        await page.keyboard.press("Enter")
    first_room = await page.locator("#rooms ~ table tbody tr").first.locator("td").first.locator("a").inner_text()
    async with page.expect_navigation():
        await page.get_by_role("link", name="Add a room").click()
    await assert_accessible(page)
    await page.fill("#part-name", "Orchid Room")
    await page.fill("#part-slug", "orchid-room")
    await page.fill("#part-capacity", "lots")
    async with page.expect_navigation():
        await page.get_by_role("button", name="Save").click()
    capacity_error = await page.locator("#part-capacity-error").inner_text()
    await assert_accessible(page)
    refusals = list(problems.messages)
    problems.messages.clear()  # that 400, as the response and as the console's note of it

    await page.goto(f"{live_server.url}/{demo_event}/organiser/programme-people/{speaker.id}")
    await assert_accessible(page)
    await page.set_input_files("#person-photo", str(photo))
    async with page.expect_navigation():
        await page.get_by_role("button", name="Save").click()
    await page.goto(f"{live_server.url}/{demo_event}/organiser")
    async with page.expect_navigation():
        await page.locator("tr[data-code='OPEN'] a.row-action").click()
    await assert_accessible(page)
    await page.fill("#material-title", "Conference paper")
    await page.fill("#material-url", "https://example.org/paper.pdf")
    async with page.expect_navigation():
        await page.get_by_role("button", name="Add", exact=True).click()

    await page.goto(f"{live_server.url}/{demo_event}/sessions/OPEN")
    material = await page.locator(".material-list a").inner_text()
    loaded = await page.locator(".speaker-list li").first.locator("img").evaluate("img => img.naturalWidth")

    assert first_room == "Jade Room"
    assert capacity_error == "Write a whole number from 0 to 1000000."
    assert refusals[0] == f"400 from {live_server.url}/{demo_event}/organiser/programme-parts/room/new"
    assert material == "Conference paper"
    assert loaded == 96
    await assert_accessible(page)
    assert problems.messages == []
