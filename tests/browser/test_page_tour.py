"""Every page of the app, opened in Chromium by someone who may see it, on a phone and a desktop in the light and
the dark theme (issue #13): axe-core finds nothing serious, the page needs no sideways scrolling at 320 px, and a
screenshot of each is left in tests/artefacts/screenshots for a person to look through.

Then in every other interface language (issue #14), on the same server and browser, at one size and in the light
theme (what changes with the language is the text, its script and its direction, not the theme): the page says
its language and direction (<html lang dir>) and axe-core finds nothing serious; a right-to-left page is also
checked at 320 px and photographed."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from server import i18n
from server.db import Database
from server.live.hall import hall_code
from tests.support.artefacts import artefact_dir
from tests.support.browser import PageProblems, assert_accessible
from tests.support.factories import Person
from tests.support.route_matrix import PARAMETER, MatrixWorld, build_matrix_world, filled, site_routes_and_methods
from tests.support.servers import LiveSite

pytestmark = [pytest.mark.browser, pytest.mark.slow]
# Who opens a page: the first of these it shows itself to (a staff page to its staff, the rest to anyone).
VISITORS = ("organiser", "delegate", "moderator", "speaker", "checkin", "admin", "interpreter", "anonymous")
# Pages no visitor here can open, each with the reason (their own tests open them).
UNVISITED = {
    "signin_link": "a one-time link from a mail",
    "staff_invitation": "an invitation's link from a mail",
    "registration_feed": "a calendar feed, not a page",
    "agenda_feed": "a delegate's secret calendar feed, not a page",
    "api_registrations": "JSON for an API token",
    "ask": "a live room's code from the screen (tests/live_pages)",
    "event_clone": "for an event creator (tests/events)",
    "event_logo": "an image",
    "event_banner": "an image",
    "person_photo": "an image",
    "material": "sends on to the material's address or file",
    "staff_remove": "asks about one member of staff (tests/organising)",
    "chart_csv": "a chart's numbers as CSV",
    "replay_file": "a replay's video file (tests/replays)",
    "replay_player": "JSON for the replay player, once a replay is ready (tests/replays, tests/browser)",
    "replay_chapters": "a ready replay's chapters as WebVTT (tests/live/test_replay_player.py)",
    "replay_captions": "a ready replay's captions as WebVTT (tests/live/test_replay_player.py)",
    "exhibition_image": "an image",
    "exhibition_guide": "an exhibition's audio or video guide, with ranges (tests/exhibitions)",
    "hls_file": "a live session's HLS playlist or segment (tests/media_pages/test_hls_pages.py)",
}
PHONE = {"width": 390, "height": 844}
OTHER_LANGUAGES = [language for language in i18n.LANGUAGES if language != i18n.DEFAULT_LANGUAGE]
DESKTOP = {"width": 1280, "height": 900}
NARROWEST = 320
# One person opening the same live room four times in a few seconds meets the stream's limit per person: that is
# the limit working (the player retries), not a broken page.
LIMITED = re.compile(r"429")
# The outermost elements that reach past the window's right edge, named as a person would look for them.
WIDEST = """
Array.from(document.querySelectorAll("main *, header *"))
  .filter((node) => node.getBoundingClientRect().right > innerWidth + 1)
  .filter((node) => !node.parentElement || node.parentElement.getBoundingClientRect().right <= innerWidth + 1)
  .slice(0, 3)
  .map((node) => node.tagName.toLowerCase() + (node.id ? "#" + node.id : "") + (node.className ? "." + String(node.className).split(" ").join(".") : ""))
"""

# How far the page reaches past the window (past its left edge for a right-to-left page: scrollWidth counts both).
OVERFLOW = "document.scrollingElement.scrollWidth - document.scrollingElement.clientWidth"


@dataclass
class Tour:
    site: LiveSite
    world: MatrixWorld

    def visitor(self, name: str) -> Person | None:
        return None if name == "anonymous" else self.world.people[name]


@pytest.fixture
async def tour(database_url: str, database: Database, demo_event: str) -> AsyncIterator[Tour]:
    site = LiveSite(database_url)
    world = await build_matrix_world(
        database, demo_event, secret=site.settings.secret_key, media_dir=site.settings.media_dir
    )
    async with database.session() as db:  # the phone page the room screen's code opens
        code = await hall_code(db, event_id=world.event.id or 0, session_id=int(world.ours["session_id"]))
        await db.commit()
    world.by_route["hall"] = {"code": code}
    world.by_route["hall_listen"] = {"code": code}
    site.start()
    yield Tour(site, world)
    site.stop()


async def pages_and_visitors(tour: Tour) -> tuple[list[tuple[str, str, str]], set[str]]:
    """(route name, path, visitor) of every HTML page some visitor may open, and the names of the pages none did."""
    found, unvisited = [], set()
    async with httpx.AsyncClient(base_url=tour.site.url) as client:
        for name, method, template in site_routes_and_methods():
            if method != "GET":
                continue
            values = {**tour.world.ours, **tour.world.by_route.get(name, {})}
            if not set(PARAMETER.findall(template)) <= set(values):
                unvisited.add(name)
                continue
            path = filled(template, values)
            for visitor in VISITORS:
                person = tour.visitor(visitor)
                cookies = {"podium_session": person.token} if person else {}
                response = await client.get(path, cookies=cookies)
                if response.status_code == 200:
                    if response.headers.get("content-type", "").startswith("text/html"):
                        found.append((name, path, visitor))
                    break
            else:
                unvisited.add(name)
    return found, unvisited


async def open_as(
    browser: Any, tour: Tour, path: str, visitor: str, *, viewport: dict[str, int], scheme: str, language: str = ""
) -> Any:
    context = await browser.new_context(viewport=viewport, color_scheme=scheme, locale="en-GB")
    person = tour.visitor(visitor)
    if person is not None:
        await context.add_cookies([{"name": "podium_session", "value": person.token, "url": tour.site.url}])
    if language:  # as the language switch leaves it
        await context.add_cookies([{"name": "podium_lang", "value": language, "url": tour.site.url}])
    page = await context.new_page()
    await page.goto(tour.site.url + path, wait_until="load")
    return page


async def test_every_page_is_accessible_fits_320_px_and_is_photographed_in_both_themes_and_every_language(
    browser: Any, tour: Tour
) -> None:
    pages, unvisited = await pages_and_visitors(tour)
    assert sorted(unvisited - set(UNVISITED)) == [], (
        f"{sorted(unvisited - set(UNVISITED))}: a page no visitor could open: give it a visitor or a reason"
    )
    assert len(pages) >= 40
    shots = artefact_dir("screenshots")
    found: dict[str, list[str]] = {"inaccessible": [], "too wide": [], "broken": [], "wrong language": []}

    async def visit(name: str, path: str, visitor: str) -> None:
        for scheme in ("light", "dark"):
            for form, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
                page = await open_as(browser, tour, path, visitor, viewport=viewport, scheme=scheme)
                problems = PageProblems(page)
                await page.screenshot(path=str(shots / f"{name}-{form}-{scheme}.png"), full_page=form == "phone")
                if form == "phone":
                    try:
                        await assert_accessible(page)
                    except AssertionError as failure:
                        found["inaccessible"].append(f"{name} ({scheme}): {failure}")
                if form == "phone" and scheme == "light":
                    await page.set_viewport_size({"width": NARROWEST, "height": 640})
                    overflow = await page.evaluate(OVERFLOW)
                    if overflow > 1:
                        culprits = await page.evaluate(WIDEST)
                        found["too wide"].append(f"{name} {path}: {overflow}px, by {culprits}")
                found["broken"] += [
                    f"{name}: {message}" for message in problems.messages if not LIMITED.search(message)
                ]
                await page.context.close()
        for language in OTHER_LANGUAGES:
            await visit_in(language, name, path, visitor)

    async def visit_in(language: i18n.Language, name: str, path: str, visitor: str) -> None:
        page = await open_as(browser, tour, path, visitor, viewport=PHONE, scheme="light", language=language.code)
        problems = PageProblems(page)
        shown = await page.evaluate("[document.documentElement.lang, document.documentElement.dir]")
        if shown != [language.code, language.direction]:
            found["wrong language"].append(f"{name} ({language.code}): <html lang dir> is {shown}")
        try:
            await assert_accessible(page)
        except AssertionError as failure:
            found["inaccessible"].append(f"{name} ({language.code}): {failure}")
        if language.direction == "rtl":
            await page.screenshot(path=str(shots / f"{name}-phone-{language.code}.png"), full_page=True)
            await page.set_viewport_size({"width": NARROWEST, "height": 640})
            overflow = await page.evaluate(OVERFLOW)
            if overflow > 1:
                found["too wide"].append(f"{name} {path} ({language.code}): {overflow}px")
        found["broken"] += [
            f"{name} ({language.code}): {message}" for message in problems.messages if not LIMITED.search(message)
        ]
        await page.context.close()

    # Two pages at a time: the server and Chromium each keep a core busy.
    for start in range(0, len(pages), 2):
        await asyncio.gather(*(visit(*each) for each in pages[start : start + 2]))
    (shots.parent / "page-tour.txt").write_text(
        "\n".join(f"{kind}: {line}" for kind, lines in found.items() for line in lines), encoding="utf-8"
    )
    assert found == {"inaccessible": [], "too wide": [], "broken": [], "wrong language": []}
