"""A stream in Chromium end to end: a speaker publishes with the fake camera through the studio page (WHIP),
and a delegate who joins after the stream started watches it on the room page (WHEP) and decodes frames.

The app and the relay share one origin here, as nginx gives them in production."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

import pytest
from sqlmodel import col, select

from realtime.live.asgi import create_asgi
from realtime.media.app import create_relay_app
from realtime.media.config import RelaySettings
from realtime.media.control import LocalRelayControl
from realtime.media.internals import restrict_host_addresses
from realtime.media.status import all_statuses
from server.accounts.models import Role
from server.agenda.models import Person as Speaker
from server.agenda.models import Session, SessionSpeaker
from server.db import Database
from server.events.models import Event
from tests.browser.conftest import PageProblems, assert_accessible, chromium
from tests.conftest import ThreadedServer, free_port
from tests.live import factories
from tests.live.factories import ONLINE, Person
from tests.live_pages.site import site_settings

pytestmark = [pytest.mark.browser, pytest.mark.integration]

MEDIA_ARGS = [
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--allow-loopback-in-peer-connection",
]
WAIT = 20_000
RELAY_PATHS = ("/whip/", "/whep/")

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


class SameOrigin:
    """WHIP and WHEP to the relay, everything else to the app; the relay closes when the app shuts down."""

    def __init__(self, app: Any, relay_app: Any) -> None:
        self.app = app
        self.relay_app = relay_app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and str(scope["path"]).startswith(RELAY_PATHS):
            await self.relay_app(scope, receive, send)
            return
        if scope["type"] == "lifespan":

            async def receive_closing() -> MutableMapping[str, Any]:
                message = await receive()
                if message["type"] == "lifespan.shutdown":
                    await self.relay_app.state.media.relay.close()
                return message

            await self.app(scope, receive_closing, send)
            return
        await self.app(scope, receive, send)


class StreamSite(ThreadedServer):
    def __init__(self, database_url: str) -> None:
        port = free_port()
        settings = site_settings(database_url, port)
        live = create_asgi(settings, deliver_mail=False, settle_gc=False)
        services = live.other_asgi_app.state.services
        relay = create_relay_app(
            RelaySettings(secret_key=settings.secret_key, host_addresses=("127.0.0.1",), media_dir=settings.media_dir),
            database=services.database,  # publish tokens are checked against their rotations
        )
        # One process holds both, so the moderator console reads the relay's status directly.
        services.stream_statuses = lambda: all_statuses(relay.state.media.relay)
        services.relay_control = LocalRelayControl(relay.state.media.relay)  # status, play, stop
        super().__init__(SameOrigin(live, relay), port=port)


@dataclass
class Stage:
    site: ThreadedServer
    event: Event
    session: Session
    speaker: Person
    delegate: Person
    moderator: Person

    def path(self, page: str) -> str:
        return f"{self.site.url}/{self.event.slug}/sessions/{self.session.code}/{page}"


@dataclass
class Cast:
    event: Event
    session: Session
    speaker: Person
    delegate: Person
    moderator: Person


async def cast_of(database: Database, slug: str) -> Cast:
    """The event's first session with a speaker linked to an account, an online delegate and a moderator."""
    async with database.session() as db:
        event = await factories.event_by_slug(db, slug)
        rows = await db.exec(
            select(Session, Speaker)
            .join(SessionSpeaker, col(SessionSpeaker.session_id) == Session.id)
            .join(Speaker, col(Speaker.id) == SessionSpeaker.person_id)
            .where(Session.event_id == event.id)
            .order_by(col(Session.start), col(Session.id))
        )
        session, agenda_speaker = rows.first() or (None, None)
        assert session is not None and agenda_speaker is not None
        speaker = await factories.person(db, event, agenda_speaker.name, role=Role.speaker)
        agenda_speaker.account_id = speaker.account.id  # as an organiser links them on the Speakers page
        db.add(agenda_speaker)
        await db.commit()
        delegate = await factories.person(db, event, "Online Delegate", attendance=ONLINE, country="ID")
        moderator = await factories.person(db, event, "Chair Person", role=Role.moderator)
    return Cast(event, session, speaker, delegate, moderator)


@pytest.fixture
async def stage(database_url: str, database: Database, demo_event: str) -> AsyncIterator[Stage]:
    cast = await cast_of(database, demo_event)
    site = StreamSite(database_url)
    site.start()
    try:
        yield Stage(site, cast.event, cast.session, cast.speaker, cast.delegate, cast.moderator)
    finally:
        site.stop()
        restrict_host_addresses([])


@pytest.fixture
async def media_browser() -> AsyncIterator[Any]:
    async with chromium(*MEDIA_ARGS) as launched:
        yield launched


async def open_as(browser: Any, stage: Stage, person: Person, page_name: str) -> tuple[Any, PageProblems]:
    context = await browser.new_context(locale="en-GB")
    await context.add_cookies([{"name": "podium_session", "value": person.token, "url": stage.site.url}])
    page = await context.new_page()
    problems = PageProblems(page)
    await page.goto(stage.path(page_name))
    return page, problems


FRAMES_DECODED = """async () => {
  let decoded = 0;
  (await window.podiumStream.stats()).forEach((report) => {
    if (report.type === "inbound-rtp" && report.kind === "video") decoded = report.framesDecoded || 0;
  });
  return decoded;
}"""


async def frames_decoded(page: Any) -> int:
    return int(await page.evaluate(FRAMES_DECODED))


async def test_a_speaker_goes_live_in_the_studio_and_a_late_viewer_decodes_frames(
    stage: Stage, media_browser: Any
) -> None:
    from playwright.async_api import expect

    studio, studio_problems = await open_as(media_browser, stage, stage.speaker, "studio")
    await studio.wait_for_selector("#studio-camera option:nth-child(2)", state="attached", timeout=WAIT)
    assert await studio.locator("#studio-camera").input_value() != ""
    await studio.get_by_role("button", name="Go live").click()
    await studio.wait_for_selector("#studio[data-state='live']", timeout=WAIT)
    await asyncio.sleep(1)  # the stream has been running for a while when the viewer arrives

    room, room_problems = await open_as(media_browser, stage, stage.delegate, "room")
    player = room.locator("#stream")
    await room.wait_for_selector("#stream[data-state='live']", timeout=WAIT)
    assert await room.locator("#stream video").evaluate("(video) => video.muted") is True
    first = await frames_decoded(room)
    await asyncio.sleep(1.5)
    later = await frames_decoded(room)
    assert 0 < first < later

    await room.get_by_role("button", name="Unmute sound").click()
    assert await room.locator("#stream video").evaluate("(video) => video.muted") is False

    # The moderator console shows the stream live with its one viewer.
    console, console_problems = await open_as(media_browser, stage, stage.moderator, "moderate")
    await expect(console.locator("#stream-panel")).to_have_attribute("data-state", "live", timeout=WAIT)
    await expect(console.locator("[data-stream='viewers']")).to_have_text("1", timeout=WAIT)
    await expect(console.locator("[data-stream='whip-url']")).to_have_text(f"{stage.site.url}/whip/{stage.session.id}")

    # The speaker stops: the viewer is told the stream is offline.
    await studio.get_by_role("button", name="Stop").click()
    await studio.wait_for_selector("#studio[data-state='stopped']", timeout=WAIT)
    await expect(player).to_have_attribute("data-state", "offline", timeout=WAIT)

    assert studio_problems.messages == []
    assert room_problems.messages == []
    assert console_problems.messages == []


async def test_the_console_shows_copies_and_rotates_the_publish_token(stage: Stage, media_browser: Any) -> None:
    from playwright.async_api import expect

    console, problems = await open_as(media_browser, stage, stage.moderator, "moderate")
    await console.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=stage.site.url)
    await console.get_by_text("Publish with OBS Studio or an encoder (WHIP)").click()
    token = console.locator("code[data-stream='token']")
    await expect(token).to_be_hidden()
    await console.get_by_role("button", name="Show").click()
    await expect(token).to_be_visible()
    old = await token.text_content()
    assert old and old.startswith("0.")
    await console.locator("[data-copy='token']").click()
    await expect(console.locator("[data-stream='copied']")).to_have_text("Copied.")
    assert await console.evaluate("navigator.clipboard.readText()") == old
    await assert_accessible(console)

    await console.get_by_text("Rotate the token").click()
    await console.get_by_role("button", name="Rotate now").click()
    await console.wait_for_url(f"**/{stage.session.code}/moderate#stream-panel")
    await console.get_by_text("Publish with OBS Studio or an encoder (WHIP)").click()
    await console.get_by_role("button", name="Show").click()
    await expect(token).not_to_have_text(old or "")
    new = await token.text_content()
    assert new and new.startswith("1.")

    studio, studio_problems = await open_as(media_browser, stage, stage.speaker, "studio")
    assert await studio.locator("#studio").get_attribute("data-token") == new
    assert problems.messages == []
    assert studio_problems.messages == []


async def test_an_organiser_uploads_a_video_address_and_the_moderators_play_reaches_a_viewer(
    stage: Stage, media_browser: Any, database: Database, tmp_path: Any
) -> None:
    from playwright.async_api import expect

    from tests.media.recordings import make_video

    async with database.session() as db:
        event = await factories.event_by_slug(db, stage.event.slug)
        organiser = await factories.person(db, event, "Organiser One", role=Role.organiser)
    video = make_video(tmp_path / "Congratulatory address.mp4", seconds=8)

    desk, desk_problems = await open_as(media_browser, stage, organiser, "recording")
    await desk.locator("#recording-video").set_input_files(str(video))
    await desk.get_by_role("button", name="Upload").click()
    await expect(desk.locator("#recording-file")).to_have_text("Congratulatory address.mp4", timeout=WAIT)
    await assert_accessible(desk)

    room, room_problems = await open_as(media_browser, stage, stage.delegate, "room")
    console, console_problems = await open_as(media_browser, stage, stage.moderator, "moderate")
    await console.get_by_role("button", name="Play the recording").click()
    await expect(console.locator("#recording-panel")).to_have_attribute("data-state", "playing", timeout=WAIT)

    # The viewer, who joined before anything played, sees the recording: frames keep being decoded.
    await room.wait_for_selector("#stream[data-state='live']", timeout=WAIT)
    first = await frames_decoded(room)
    await asyncio.sleep(1.5)
    assert 0 < first < await frames_decoded(room)
    size = await room.locator("#stream video").evaluate("(video) => [video.videoWidth, video.videoHeight]")
    assert size == [320, 240]

    await console.get_by_role("button", name="Stop the recording").click()
    await expect(console.locator("[data-recording='message']")).to_have_text(
        "The recording was stopped; the room is live.", timeout=WAIT
    )
    await expect(room.locator("#stream")).to_have_attribute("data-state", "offline", timeout=WAIT)

    assert desk_problems.messages == []
    assert room_problems.messages == []
    assert console_problems.messages == []
