"""Two interpreters' consoles in Chromium (fake microphones) publish into one channel; an aiortc listener hears the
channel over WHEP. A handover between the two pages leaves exactly one on air and no gap over 500 ms in what the
listener receives; an interpreter whose role is removed while on air is taken off air and their console says why."""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from server.accounts.models import Role
from server.db import Database
from server.events.models import Event
from server.interpretation.models import ChannelPlan
from server.streams.tokens import viewer_pass
from tests.media.clients import record_rtp, wait_connected, watch
from tests.support import factories
from tests.support.browser import assert_accessible
from tests.support.factories import Person
from tests.support.media import loopback_only
from tests.support.relay_process import ProxiedStreamSite, RelayProcess, relay_status
from tests.support.servers import site_settings
from tests.support.stream_site import WAIT, StreamStage, cast_of, open_as

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.slow]

MAX_GAP_SECONDS = 0.5


@pytest.fixture
async def interpreters(stage: StreamStage, database: Database) -> tuple[Person, Person, Person]:
    async with database.session() as db:
        event = await db.get_one(Event, stage.event.id)
        event.languages = "en,ja"
        db.add(event)
        db.add(ChannelPlan(event_id=event.id or 0, session_id=stage.session.id, languages="ja"))
        await db.commit()
        first = await factories.person(db, event, "Aiko Booth", role=Role.interpreter, languages=("ja",))
        second = await factories.person(db, event, "Kenji Booth", role=Role.interpreter, languages=("ja",))
        organiser = await factories.person(db, event, "Organiser One", role=Role.organiser)
    return first, second, organiser


@pytest.fixture
async def listening() -> AsyncIterator[None]:
    with loopback_only():
        yield


async def light(page: Any) -> str:
    return str(await page.get_attribute("#on-air-light", "data-state"))


async def wait_light(page: Any, state: str) -> None:
    await page.wait_for_selector(f'#on-air-light[data-state="{state}"]', timeout=WAIT)


def largest_gap(arrivals: list[float]) -> float:
    return max((later - earlier for earlier, later in zip(arrivals, arrivals[1:], strict=False)), default=0.0)


async def test_handover_between_two_consoles_keeps_the_channel_continuous(
    stage: StreamStage, media_browser: Any, interpreters: tuple[Person, Person, Person], settings, listening
) -> None:
    first, second, organiser = interpreters
    console = "interpret/ja"
    page_one, problems_one = await open_as(media_browser, stage, first, console)
    page_two, problems_two = await open_as(media_browser, stage, second, console)
    for page in (page_one, page_two):
        await page.wait_for_selector('#booth[data-mic="live"]', timeout=WAIT)
    await page_one.click("#air-on")
    await wait_light(page_one, "mine")
    await wait_light(page_two, "partner")

    key = f"{stage.session.id}_ja"
    token = viewer_pass(settings.secret_key, key, f"a{stage.delegate.account.id}", expires_at=int(time.time()) + 300)
    async with httpx.AsyncClient(base_url=stage.site.url, timeout=20) as client:
        listener = await watch(client, f"/whep/{key}", token, kinds=("audio",))
        seen = record_rtp(listener)
        await wait_connected(listener.pc)
        deadline = time.monotonic() + 20
        while len(seen) < 50 and time.monotonic() < deadline:  # a second of audio before the handover
            await asyncio.sleep(0.1)
        refused = await page_two.text_content("#air-status")
        await page_two.click("#air-on")  # not offered yet: refused with the reason
        await page_two.wait_for_selector("#air-status:has-text('is on air in this booth')", timeout=WAIT)
        handover_at = time.monotonic()
        await page_one.click("#air-hand")
        await wait_light(page_two, "partner-offers")
        await page_two.click("#air-on")
        await wait_light(page_two, "mine")
        await wait_light(page_one, "partner")
        took_over_at = time.monotonic()
        await asyncio.sleep(2.0)
        after = [packet for packet in seen if packet.at > took_over_at]
        window = [packet.at for packet in seen if packet.at > handover_at - 1.0]
        numbers = [packet.sequence_number for packet in seen]
        await listener.pc.close()

    print(f"handover: largest gap {largest_gap(window) * 1000:.0f} ms; {len(after)} packets in the 2 s after")
    assert refused == ""
    assert (await light(page_one), await light(page_two)) == ("partner", "mine")
    assert largest_gap(window) < MAX_GAP_SECONDS, f"largest gap {largest_gap(window):.3f} s"
    # One publisher forwarded: about 50 packets a second of 20 ms Opus, never two voices doubled.
    assert 60 <= len(after) <= 130
    assert len(numbers) == len(set(numbers))
    assert problems_one.messages == []
    # The second console's only failed request is its refused "Go on air" (409), shown to the person.
    assert [m for m in problems_two.messages if "409" not in m] == []


async def test_interpreter_removed_while_on_air_is_taken_off_and_told(
    stage: StreamStage, media_browser: Any, interpreters: tuple[Person, Person, Person], listening
) -> None:
    first, _second, organiser = interpreters
    page, _problems = await open_as(media_browser, stage, first, "interpret/ja")
    await page.wait_for_selector('#booth[data-mic="live"]', timeout=WAIT)
    await page.click("#air-on")
    await wait_light(page, "mine")

    async with httpx.AsyncClient(base_url=stage.site.url, timeout=20) as client:
        client.cookies.set("podium_session", organiser.token)
        await client.get("/signin")
        removed = await client.post(
            f"/{stage.event.slug}/organiser/staff/{first.account.id}/remove",
            data={"csrf_token": client.cookies["podium_csrf"], "role": "interpreter"},
        )
    await page.wait_for_selector("#booth-revoked:not([hidden])", timeout=WAIT)
    told = await page.text_content("#booth-revoked")

    assert removed.status_code == 303
    assert await light(page) == "nobody"
    assert "an organiser removed the role" in (told or "")


async def test_console_and_booth_panel_are_accessible_and_fit_a_phone(
    stage: StreamStage, media_browser: Any, interpreters: tuple[Person, Person, Person], listening
) -> None:
    first, _second, _organiser = interpreters
    console, _problems = await open_as(media_browser, stage, first, "interpret/ja")
    await console.wait_for_selector('#booth[data-mic="live"]', timeout=WAIT)
    await console.click("#air-on")
    await wait_light(console, "mine")
    await console.fill("#booth-chat-text", "<img src=x onerror=alert(1)> slower please")
    await console.click("#booth-chat-form button")
    await console.wait_for_selector(".booth-messages li", timeout=WAIT)
    panel, panel_problems = await open_as(media_browser, stage, stage.moderator, "moderate")
    await panel.wait_for_selector("#booths-panel tr[data-booth='ja'] [data-on-air][data-state='on']", timeout=WAIT)
    await panel.wait_for_selector("#booth-messages li", timeout=WAIT)
    await panel.select_option("#floor-language-choice", "ja")
    await panel.click(".booth-floor-form button")
    await console.wait_for_selector("#floor-language:has-text('Japanese')", timeout=WAIT)

    for page in (console, panel):
        await assert_accessible(page)
        await page.set_viewport_size({"width": 320, "height": 640})
        overflow = await page.evaluate("document.scrollingElement.scrollWidth - document.scrollingElement.clientWidth")
        assert overflow <= 1
    assert await console.locator(".booth-messages img").count() == 0  # text, never markup
    assert "slower please" in (await panel.text_content("#booth-messages") or "")
    assert panel_problems.messages == []


@pytest.fixture
async def relayed_booth(
    database_url: str, database: Database, demo_event: str, tmp_path: Path
) -> AsyncIterator[tuple[StreamStage, RelayProcess]]:
    """The site with a ``podium relay`` process behind it, told who is on air over HTTP, as in production."""
    cast = await cast_of(database, demo_event)
    relay = RelayProcess(database_url, site_settings(database_url, 0).secret_key, tmp_path / "relay.log")
    relay.start()
    site = ProxiedStreamSite(database_url, relay, control=True)
    site.start()
    try:
        yield StreamStage(site, cast.event, cast.session, cast.speaker, cast.delegate, cast.moderator), relay
    finally:
        site.stop()
        relay.kill()


async def test_console_reconnects_after_a_relay_restart_and_the_relay_learns_who_is_on_air(
    relayed_booth: tuple[StreamStage, RelayProcess], media_browser: Any, database: Database, database_url: str
) -> None:
    stage, relay = relayed_booth
    async with database.session() as db:
        event = await db.get_one(Event, stage.event.id)
        event.languages = "en,ja"
        db.add(event)
        db.add(ChannelPlan(event_id=event.id or 0, session_id=stage.session.id, languages="ja"))
        await db.commit()
        voice = await factories.person(db, event, "Aiko Booth", role=Role.interpreter, languages=("ja",))
    secret = site_settings(database_url, 0).secret_key
    key = f"{stage.session.id}_ja"
    console, _problems = await open_as(media_browser, stage, voice, "interpret/ja")
    await console.wait_for_selector('#booth[data-mic="live"]', timeout=WAIT)
    await console.click("#air-on")
    await wait_light(console, "mine")
    before = await relay_status(relay, key, secret)

    relay.kill(signal.SIGTERM)
    await console.wait_for_selector('#booth[data-mic="reconnecting"]', timeout=WAIT)
    relay.start()
    await console.wait_for_selector('#booth[data-mic="live"]', timeout=40_000)
    deadline = time.monotonic() + 20
    after = await relay_status(relay, key, secret)
    while not after.get("live") and time.monotonic() < deadline:
        await asyncio.sleep(0.25)
        after = await relay_status(relay, key, secret)

    account = f"a{voice.account.id}"
    assert (before["on_air"], before["publishers"]) == (account, [account])
    # The restarted relay knew nobody; the console's reconnection made the app tell it again.
    assert (after["on_air"], after["publishers"], after["live"]) == (account, [account], True)
    assert await light(console) == "mine"
