"""The state of a session is the same on every page and in the API at each moment of a scripted timeline (issue
#15): before, starting soon, live with a real aiortc publisher on the in-process relay, ended, replay ready. The
phases' clock is the test's; Chromium reads the agenda, its "On now", the session page and the room page."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from typing import Any

import httpx
import pytest
from playwright.async_api import expect

from server.agenda.models import Room, Session
from server.archive.models import SessionArchive
from server.db import Database
from server.events.models import Event
from server.phases import rule
from server.replays.models import Replay, ReplayState
from server.replays.services import replays_dir
from server.streams.tokens import publish_token
from tests.media.clients import Peer, publish, wait_connected
from tests.media.synthetic import PatternTrack, ToneTrack
from tests.support.browser import assert_accessible, signed_in_page
from tests.support.media import loopback_only
from tests.support.replay_segments import write_segment
from tests.support.stream_site import WAIT, StreamStage

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.slow]


def services(stage: StreamStage) -> Any:
    return stage.site.app.app.other_asgi_app.state.services


async def streamed_room(database: Database, stage: StreamStage) -> Session:
    """The session's room is marked streamed (so in its time without media it awaits its stream)."""
    async with database.session() as db:
        session = await db.get_one(Session, stage.session.id)
        room = await db.get_one(Room, session.room_id)
        room.streamed = True
        event = await db.get_one(Event, stage.event.id)
        event.version += 1
        db.add_all([room, event])
        await db.commit()
        return session


async def api_phase(stage: StreamStage) -> str:
    async with httpx.AsyncClient(base_url=stage.site.url) as client:
        response = await client.get(f"/api/v1/events/{stage.event.slug}/sessions/{stage.session.code}")
    phase: str = response.json()["phase"]
    return phase


async def settled(stage: StreamStage, phase: str) -> None:
    """The server's answer once the relay's and the board's moments have passed."""
    for _ in range(40):
        services(stage).phase_boards.forget()
        if await api_phase(stage) == phase:
            return
        await asyncio.sleep(0.25)
    assert await api_phase(stage) == phase


async def everywhere(pages: dict[str, Any], stage: StreamStage, *, on_now: bool) -> dict[str, str | None]:
    """The phase the agenda's card, its "On now", the session page, the room page and the API show."""
    code = stage.session.code
    agenda, session, room = pages["agenda"], pages["session"], pages["room"]
    await agenda.goto(f"{stage.site.url}/{stage.event.slug}/?day=all")
    await session.reload()
    await room.reload()
    await expect(session.locator(".session-phase")).to_have_attribute("data-phase", re.compile("."), timeout=WAIT)
    await expect(room.locator("#stream")).to_have_attribute("data-phase", re.compile("."), timeout=WAIT)
    card = agenda.locator(f'article.card[data-code="{code}"]').first
    current = agenda.locator(f'.on-now-current[data-code="{code}"]')
    return {
        "agenda": await card.get_attribute("data-phase"),
        "on now": (await current.get_attribute("data-phase")) if on_now else None,
        "session page": await session.locator(".session-phase").get_attribute("data-phase"),
        "room page": await room.locator("#stream").get_attribute("data-phase"),
        "api": await api_phase(stage),
    }


def same(phase: str, *, on_now: bool) -> dict[str, str | None]:
    return {
        "agenda": phase,
        "on now": phase if on_now else None,
        "session page": phase,
        "room page": phase,
        "api": phase,
    }


async def test_the_phase_is_the_same_on_every_page_and_in_the_api_along_a_timeline(
    stage: StreamStage, media_browser: Any, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    session = await streamed_room(database, stage)
    start, end = session.start.replace(tzinfo=dt.UTC), session.end.replace(tzinfo=dt.UTC)
    moment = {"now": start - dt.timedelta(hours=2)}
    monkeypatch.setattr(rule, "current_time", lambda: moment["now"])
    pages = {}
    problems = {}
    for name, path in (("agenda", "/"), ("session", ""), ("room", "/room")):
        page, problems[name] = await signed_in_page(media_browser, stage.site.url, stage.delegate.token)
        base = f"{stage.site.url}/{stage.event.slug}"
        await page.goto(base + path if name == "agenda" else f"{base}/sessions/{stage.session.code}{path}")
        pages[name] = page
    room = pages["room"]
    seen: dict[str, dict[str, str | None]] = {}

    # Two hours before: upcoming; the room's holding screen counts down to the start.
    await settled(stage, "upcoming")
    seen["before"] = await everywhere(pages, stage, on_now=False)
    await expect(room.locator("[data-stream-countdown]")).to_have_text(re.compile(r"^Starts in 1:59:\d\d$"))
    await expect(room.locator("[data-stream-slate]")).to_be_visible()

    # Five minutes before: starting soon, the session is next in its room on the front page.
    moment["now"] = start - dt.timedelta(minutes=5)
    await settled(stage, "starting_soon")
    seen["starting soon"] = await everywhere(pages, stage, on_now=False)
    next_up = pages["agenda"].locator(f'.on-now-next[data-code="{stage.session.code}"]')
    await expect(next_up).to_have_count(1)
    await expect(room.locator("[data-stream-countdown]")).to_have_text(re.compile(r"^Starts in 0:0[45]:\d\d$"))

    # In its time, a publisher sends: live everywhere, and the room's open page plays it without a reload.
    moment["now"] = start + dt.timedelta(minutes=10)
    await settled(stage, "starting_soon")  # a streamed room's session awaits its stream
    secret = services(stage).settings.secret_key
    key = str(stage.session.id)
    publisher: Peer | None = None
    with loopback_only():
        async with httpx.AsyncClient(base_url=stage.site.url) as client:
            publisher = await publish(
                client, f"/whip/{key}", publish_token(secret, key, 0), PatternTrack(count=30), ToneTrack(440)
            )
        try:
            await wait_connected(publisher.pc)
            await expect(room.locator("#stream")).to_have_attribute("data-state", "live", timeout=WAIT)
            await expect(room.locator("[data-stream-badge]")).to_have_text("Live")
            # The front page, open since "starting soon", shows the session on now without a reload.
            current = pages["agenda"].locator(f'.on-now-current[data-code="{stage.session.code}"]')
            await expect(current).to_have_attribute("data-phase", "live", timeout=25_000)
            await expect(current.locator(".on-now-watch")).to_be_visible()
            await settled(stage, "live")
            seen["live"] = await everywhere(pages, stage, on_now=True)
            watch = pages["agenda"].locator(f'.on-now-current[data-code="{stage.session.code}"] .on-now-watch')
            assert await watch.get_attribute("href") == f"/{stage.event.slug}/sessions/{stage.session.code}/room"
            await expect(pages["session"].locator("[data-phase-watch]")).to_be_visible()
            await assert_accessible(pages["agenda"])
            await assert_accessible(pages["session"])
        finally:
            await publisher.close()

    # Past its end, the publisher gone: ended.
    moment["now"] = end + dt.timedelta(minutes=5)
    await settled(stage, "ended")
    seen["ended"] = await everywhere(pages, stage, on_now=False)
    await expect(room.locator("[data-stream-slate-message]")).to_have_text("This session has ended.")

    # A ready replay, published: replay available everywhere (a real file, which the session page's player loads).
    replays = replays_dir(services(stage).settings.media_dir)
    replays.mkdir(parents=True, exist_ok=True)
    write_segment(replays / "r.webm", seconds=2)
    async with database.session() as db:
        db.add(
            Replay(session_id=session.id or 0, event_id=session.event_id, state=ReplayState.ready, stored_name="r.webm")
        )
        db.add(SessionArchive(session_id=session.id or 0, event_id=session.event_id, replay_published=True))
        await db.commit()
    await settled(stage, "replay")
    seen["replay"] = await everywhere(pages, stage, on_now=False)
    await expect(room.locator("[data-stream-badge]")).to_have_text("Replay available")

    assert problems["agenda"].messages == problems["session"].messages == []
    assert seen == {
        "before": same("upcoming", on_now=False),
        "starting soon": same("starting_soon", on_now=False),
        "live": same("live", on_now=True),
        "ended": same("ended", on_now=False),
        "replay": same("replay", on_now=False),
    }
