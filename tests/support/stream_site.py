"""A stream site for browsers: the app and the relay on one origin, as nginx gives them in production, and a cast
around the event's first session with a linked speaker."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

from sqlmodel import col, select

from realtime.live.asgi import create_asgi
from realtime.media.app import create_relay_app
from realtime.media.config import RelaySettings
from realtime.media.control import LocalRelayControl
from realtime.media.status import all_statuses
from server.accounts.models import Role
from server.agenda.models import Person as Speaker
from server.agenda.models import Session, SessionSpeaker
from server.db import Database
from server.events.models import Event
from tests.support import factories
from tests.support.browser import PageProblems, signed_in_page
from tests.support.factories import ONLINE, Person
from tests.support.ports import free_port
from tests.support.servers import ThreadedServer, site_settings

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
    """WHIP and WHEP to the relay, everything else to the app; the relay closes when the app shuts down. Paths under
    ``unreachable`` answer 502, as nginx does for a relay that is down (a registered relay's public address)."""

    def __init__(self, app: Any, relay_app: Any, *, unreachable: tuple[str, ...] = ()) -> None:
        self.app = app
        self.relay_app = relay_app
        self.unreachable = unreachable

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self.unreachable and str(scope["path"]).startswith(self.unreachable):
            body = b"502 Bad Gateway\n"
            headers = [(b"content-type", b"text/plain"), (b"content-length", str(len(body)).encode())]
            await send({"type": "http.response.start", "status": 502, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
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
    def __init__(
        self,
        database_url: str,
        *,
        record: bool = True,
        unreachable: tuple[str, ...] = (),
        hls: bool = False,
        max_viewers: int = RelaySettings.max_viewers,
    ) -> None:
        port = free_port()
        settings = site_settings(database_url, port, hls=hls)
        self.settings = settings
        live = create_asgi(settings, deliver_mail=False, settle_gc=False)
        services = live.other_asgi_app.state.services
        relay = create_relay_app(
            # Recording on, as `podium serve` and `podium relay` have it unless PODIUM_RELAY_RECORD says otherwise.
            RelaySettings(
                secret_key=settings.secret_key,
                host_addresses=("127.0.0.1",),
                media_dir=settings.media_dir,
                record=record,
                hls=hls,  # each live session's HLS, into the folder the app serves under /hls/
                hls_dir=settings.hls_dir,
                max_viewers=max_viewers,
            ),
            database=services.database,  # publish tokens are checked against their rotations
        )
        # One process holds both, so the moderator console reads the relay's status directly.
        services.stream_statuses = lambda: all_statuses(relay.state.media.relay)
        services.relay_control = LocalRelayControl(relay.state.media.relay)  # status, play, stop
        super().__init__(SameOrigin(live, relay, unreachable=unreachable), port=port)


@dataclass
class StreamStage:
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


async def open_as(browser: Any, stage: StreamStage, person: Person, page_name: str) -> tuple[Any, PageProblems]:
    page, problems = await signed_in_page(browser, stage.site.url, person.token)
    await page.goto(stage.path(page_name))
    return page, problems


async def go_live(browser: Any, stage: StreamStage) -> Any:
    """The moderator goes live from the studio page with the fake camera and microphone."""
    studio, _problems = await open_as(browser, stage, stage.moderator, "studio")
    await studio.wait_for_selector("#studio-camera option:nth-child(2)", state="attached", timeout=WAIT)
    await studio.get_by_role("button", name="Go live").click()
    await studio.wait_for_selector("#studio[data-state='live']", timeout=WAIT)
    return studio


FRAMES_DECODED = """async () => {
  let decoded = 0;
  (await window.podiumStream.stats()).forEach((report) => {
    if (report.type === "inbound-rtp" && report.kind === "video") decoded = report.framesDecoded || 0;
  });
  return decoded;
}"""


async def frames_decoded(page: Any) -> int:
    return int(await page.evaluate(FRAMES_DECODED))
