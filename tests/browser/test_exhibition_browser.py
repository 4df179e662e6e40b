"""An exhibition built in Chromium by an organiser (several images uploaded at once, captions in English and
Chinese) renders for a delegate on a phone and on a desktop with its gallery in fitting sizes and its guided tour
(the exhibition's own live room: stream, questions and chat) in the same page, and passes axe-core."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from sqlmodel import select

from realtime.live.asgi import create_asgi
from server.accounts.models import Role
from server.agenda.models import Room
from server.db import Database
from server.events.services import get_event
from tests.support import factories
from tests.support.browser import assert_accessible, signed_in_page
from tests.support.factories import ONLINE
from tests.support.ports import free_port
from tests.support.servers import ThreadedServer, site_settings

pytestmark = [pytest.mark.browser, pytest.mark.integration]

CODE = "EXPO-ASIA"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1440, "height": 900}


@pytest.fixture
def site(database_url: str, demo_event: str, tmp_path: Path) -> Iterator[ThreadedServer]:
    """The whole site (pages and live rooms) on a port known before its settings, uploads in this test's folder."""
    port = free_port()
    settings = replace(site_settings(database_url, port), media_dir=tmp_path / "media")
    server = ThreadedServer(create_asgi(settings, deliver_mail=False), port=port)
    server.start()
    yield server
    server.stop()


def picture(path: Path, size: tuple[int, int], colour: tuple[int, int, int]) -> str:
    Image.new("RGB", size, colour).save(path, "PNG")
    return str(path)


async def test_exhibition_with_images_captions_in_two_languages_and_a_tour_on_a_phone_and_a_desktop(
    browser: Any, site: ThreadedServer, demo_event: str, database: Database, tmp_path: Path
) -> None:
    async with database.session() as db:
        event = await get_event(db, slug=demo_event)
        hall = (await db.exec(select(Room).where(Room.slug == "exhibition-hall"))).one()
        hall.streamed = True  # the guided tour is streamed from the hall
        db.add(hall)
        await db.commit()
        organiser = await factories.person(db, event, "Exhibition Curator", role=Role.organiser)
        delegate = await factories.person(db, event, "Remote Visitor", attendance=ONLINE)
    editor, _ = await signed_in_page(browser, site.url, organiser.token)

    await editor.goto(f"{site.url}/{demo_event}/organiser/exhibitions/{CODE}")
    await editor.set_input_files(
        "#exhibition-images",
        [
            picture(tmp_path / "court.png", (2400, 1600), (160, 60, 40)),
            picture(tmp_path / "gate.png", (1200, 1800), (40, 90, 160)),
        ],
    )
    async with editor.expect_navigation():
        await editor.get_by_role("button", name="Upload", exact=True).click()
    first = editor.locator(".exhibition-editor-image").first
    await first.locator("input[name='caption']").fill("The inner court at dawn")
    await first.locator("input[name='credit']").fill("Heritage Lab")
    await first.locator("[data-translations] [role='tab']").first.click()
    await first.locator("input[name='caption__zh']").fill("清晨的内院")
    await assert_accessible(editor)
    async with editor.expect_navigation():
        await first.get_by_role("button", name="Save the caption of image 1").click()

    for viewport in (PHONE, DESKTOP):
        page, problems = await signed_in_page(browser, site.url, delegate.token)
        await page.set_viewport_size(viewport)
        await page.goto(f"{site.url}/{demo_event}/exhibitions/{CODE}")
        images = page.locator(".exhibition-gallery img")
        await page.wait_for_function(
            "Array.from(document.querySelectorAll('.exhibition-gallery img')).every((i) => i.complete && i.naturalWidth)"
        )
        await page.wait_for_selector("#live-status[data-state='live']", timeout=20_000)
        assert await images.count() == 2
        assert await page.locator(".exhibition-caption").all_text_contents() == ["The inner court at dawn"]
        widths = await images.evaluate_all("all => all.map((i) => [i.getBoundingClientRect().width, i.naturalWidth])")
        for shown, natural in widths:
            assert shown <= viewport["width"] and natural >= shown  # fits the screen, never blown up
        assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        assert await page.locator("#stream video").count() == 1
        assert await page.locator("#ask-form").is_visible() or await page.locator("#talk-questions").count() == 1
        assert await page.locator("#chat-form").count() == 1
        await assert_accessible(page)
        errors = [message for message in problems.messages if message.startswith("page error")]
        assert errors == []
        await page.context.close()

    chinese, _ = await signed_in_page(browser, site.url, delegate.token)
    await chinese.goto(f"{site.url}/{demo_event}/exhibitions/{CODE}?lang=zh")
    assert await chinese.locator(".exhibition-caption").all_text_contents() == ["清晨的内院"]
