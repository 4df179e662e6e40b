"""The replay in Chromium: a stream published for 15 s with the fake camera becomes a replay on the session page that
plays, seeks and lists the question highlighted during the stream as a chapter; the player shows for those who may
watch, its chapter list works from the keyboard, and the room page after the end shows the replay with the Q&A
archive beside it."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from typing import Any

import pytest
from sqlmodel import select

from server.app import site_routes
from server.archive.models import SessionArchive
from server.db import Database
from server.live.models import RoomLog
from server.replays.models import Replay
from tests.support import factories
from tests.support.browser import PageProblems, assert_accessible, signed_in_page
from tests.support.factories import Person
from tests.support.live_clients import LiveClient, client_id
from tests.support.stream_site import WAIT, StreamStage, go_live, open_as


async def session_page(browser: Any, stage: StreamStage, person: Person) -> tuple[Any, PageProblems]:
    page, problems = await signed_in_page(browser, stage.site.url, person.token)
    await page.goto(stage.path("").rstrip("/"))
    return page, problems


pytestmark = [pytest.mark.browser, pytest.mark.integration]

QUESTION = "Will the recommendations reach the ministers?"
BASE = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)


def serves_replays() -> bool:
    """Whether the app serves the replay file (the replays part: ``/{slug}/sessions/{code}/replay.webm``)."""
    return any(getattr(route, "path", "").startswith("/{slug}/sessions/{code}/replay.") for route in site_routes())


async def highlighted_question(stage: StreamStage, text: str) -> int:
    """The delegate asks, the moderator publishes the question and puts it on the room screen, over Socket.IO."""
    chair = await LiveClient().connect(stage.site.url, cookie=stage.moderator.token)
    delegate = await LiveClient().connect(stage.site.url, cookie=stage.delegate.token)
    room = stage.session.id or 0
    try:
        for client in (chair, delegate):
            assert (await client.join(room))["ok"]
        asked = await delegate.call("question.ask", {"session": room, "text": text, "client_id": client_id()})
        question = asked["question"]
        if question["status"] != "approved":
            await chair.call("question.approve", {"session": room, "question": question["id"]})
        await chair.call("question.highlight", {"session": room, "question": question["id"]})
        return int(question["id"])
    finally:
        await chair.close()
        await delegate.close()


async def publish_replay(database: Database, stage: StreamStage) -> None:
    async with database.session() as db:
        session_id, event_id = stage.session.id or 0, stage.event.id or 0
        archive = await db.get(SessionArchive, session_id) or SessionArchive(session_id=session_id, event_id=event_id)
        archive.replay_published = True
        db.add(archive)
        await db.commit()


async def test_a_stream_of_15_s_becomes_a_replay_that_plays_seeks_and_has_the_highlighted_question_as_a_chapter(
    stage: StreamStage, media_browser: Any, database: Database
) -> None:
    if not serves_replays():
        pytest.skip("the replay file is served by the replays part (server/replays), not merged here yet")
    from playwright.async_api import expect

    studio = await go_live(media_browser, stage)
    await asyncio.sleep(4)
    await highlighted_question(stage, QUESTION)
    await asyncio.sleep(11)  # 15 s on air in all
    await studio.get_by_role("button", name="Stop").click()
    await studio.wait_for_selector("#studio[data-state='stopped']", timeout=WAIT)
    # The session (the demo's, long over) has ended: the replays part joins the segments once they are quiet.
    await publish_replay(database, stage)
    deadline = time.monotonic() + 120
    replay = None
    while time.monotonic() < deadline:
        async with database.session() as db:
            replay = await db.get(Replay, stage.session.id or 0)
        if replay is not None and replay.state == "ready":
            break
        await asyncio.sleep(1)
    assert replay is not None and replay.state == "ready", replay
    assert replay.duration_seconds is not None and replay.duration_seconds >= 12

    page, problems = await session_page(media_browser, stage, stage.delegate)
    player = page.locator(".replay")
    await expect(player).to_be_visible(timeout=WAIT)
    video = page.locator(".replay-video")
    await video.evaluate("(video) => { video.muted = true; return video.play(); }")
    await page.wait_for_function(
        "() => document.querySelector('.replay-video').currentTime > 1", timeout=WAIT, polling=100
    )
    assert await video.evaluate("(video) => video.videoWidth") > 0
    await video.evaluate("(video) => { video.currentTime = 10; }")
    await page.wait_for_function(
        "() => { const v = document.querySelector('.replay-video'); return !v.seeking && v.currentTime >= 10; }",
        timeout=WAIT,
    )
    chapters = await page.locator(".replay-chapter-title").all_text_contents()
    assert f"Question: {QUESTION}" in chapters
    assert problems.messages == []


async def ready_replay_on_the_log_clock(database: Database, stage: StreamStage) -> float:
    """A ready replay of the session recorded from LEAD seconds before the room log's first entry, whose entries are
    put 10 s apart; the offset of the question's highlight in it."""
    session_id = stage.session.id or 0
    async with database.session() as db:
        entries = (await db.exec(select(RoomLog).where(RoomLog.session_id == session_id))).all()
        for entry in entries:
            entry.created_at = BASE + dt.timedelta(seconds=10 * entry.seq)
            db.add(entry)
        last = max(entry.seq for entry in entries)
        replay = Replay(
            session_id=session_id,
            event_id=stage.event.id or 0,
            state="ready",
            stored_name=f"{session_id}.webm",
            duration_seconds=600.0,
            size_bytes=1,
            timeline=[{"wall_ms": int((BASE - dt.timedelta(seconds=3)).timestamp() * 1000), "offset": 0.0}],
        )
        db.add(replay)
        await db.commit()
    await publish_replay(database, stage)
    return 10.0 * last + 3


async def test_the_player_shows_for_delegates_with_a_chapter_list_that_seeks_from_the_keyboard(
    stage: StreamStage, browser: Any, database: Database
) -> None:
    """Without the replays part the file itself is not served here: this checks everything around it."""
    from playwright.async_api import expect

    await highlighted_question(stage, QUESTION)
    offset = await ready_replay_on_the_log_clock(database, stage)

    page, _problems = await session_page(browser, stage, stage.delegate)
    await expect(page.locator(".replay")).to_be_visible(timeout=WAIT)
    button = page.get_by_role("button", name=f"{int(offset) // 60:02d}:{int(offset) % 60:02d} Question: {QUESTION}")
    await expect(button).to_be_visible()
    assert await page.locator(".replay-video track[kind='chapters']").get_attribute("src") == (
        f"/{stage.event.slug}/sessions/{stage.session.code}/replay/chapters.vtt"
    )
    await button.focus()
    await page.keyboard.press("Enter")
    await page.wait_for_function(
        f"() => document.querySelector('.replay-video').currentTime === {offset}", timeout=WAIT
    )
    await expect(page.get_by_role("link", name="The questions and answers of this session")).to_be_visible()
    await assert_accessible(page)
    wide = [await page.locator(part).bounding_box() for part in (".replay-video", ".replay-archive")]
    await page.set_viewport_size({"width": 375, "height": 740})  # a phone
    narrow = [await page.locator(part).bounding_box() for part in (".replay-video", ".replay-archive")]
    assert wide[0] is not None and wide[1] is not None and narrow[0] is not None and narrow[1] is not None
    assert wide[1]["x"] > wide[0]["x"] + wide[0]["width"] - 1  # beside the video on a wide screen
    assert narrow[1]["y"] >= narrow[0]["y"] + narrow[0]["height"]  # below it on a phone
    assert await page.evaluate("document.documentElement.scrollWidth") <= 375
    assert (await button.bounding_box() or {"height": 0})["height"] >= 44

    # The room page after the end: the replay instead of the ended stream, the Q&A archive beside it.
    room, _room_problems = await open_as(browser, stage, stage.delegate, "room")
    await expect(room.locator(".replay")).to_be_visible(timeout=WAIT)
    await expect(room.locator("#stream")).to_be_hidden()
    await expect(room.locator(".replay-archive")).to_be_visible()
    await expect(room.locator(".replay-chapter-title")).to_have_text([f"Question: {QUESTION}"])
    await assert_accessible(room)

    # A signed-in visitor who is no delegate of the event sees the same cached page, without the player.
    outsider = await open_as_outsider(browser, stage, database)
    await outsider.wait_for_load_state("networkidle")
    await expect(outsider.locator("h1")).to_be_visible()
    await expect(outsider.locator(".replay")).to_be_hidden()


async def open_as_outsider(browser: Any, stage: StreamStage, database: Database) -> Any:
    async with database.session() as db:
        event = await factories.event_by_slug(db, stage.event.slug)
        outsider = await factories.person(db, event, "Not Registered")
    page, _problems = await session_page(browser, stage, outsider)
    return page
