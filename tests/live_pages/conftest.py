"""The live pages over HTTP: the Starlette app with a recording broadcaster, and people in every role."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field

import httpx
import pytest

from server.accounts.models import Role
from server.agenda.models import Session
from server.app import create_app
from server.broadcast import CountsChanged, Message
from server.db import Database
from server.events.models import Event
from server.settings import Settings
from server.transport.auth import SESSION_COOKIE
from tests.live import factories
from tests.live.factories import ONLINE, ONSITE, Person
from tests.registration.web import csrf  # noqa: F401 (re-exported for the page tests)

ORIGIN = "http://podium.test"


@dataclass
class Recorder:
    """Stands in for the live server: what HTTP actions publish to the rooms."""

    messages: list[Message] = field(default_factory=list)

    async def publish(self, messages: Sequence[Message], counts: Sequence[CountsChanged] = ()) -> None:
        self.messages.extend(messages)


@dataclass
class World:
    event: Event
    session: Session
    second: Session  # another session of the event
    other_event: Event
    other_session: Session
    people: dict[str, Person]  # by role name; "outsider" is signed in but not registered

    def path(self, page: str, *, session: Session | None = None, event: Event | None = None) -> str:
        session = session or self.session
        return f"/{(event or self.event).slug}/sessions/{session.code}/{page}"


@pytest.fixture
async def world(database: Database, demo_event: str) -> World:
    async with database.session() as db:
        event = await factories.event_by_slug(db, demo_event)
        sessions = await factories.sessions_of(db, event)
        other_event, other_session = await factories.other_event(db)
        people = {
            "delegate": await factories.person(db, event, "Online Delegate", attendance=ONLINE),
            "onsite": await factories.person(db, event, "Onsite Delegate", attendance=ONSITE, sessions=(sessions[1],)),
            "speaker": await factories.person(db, event, "Speaker One", role=Role.speaker),
            "moderator": await factories.person(db, event, "Chair Person", role=Role.moderator),
            "organiser": await factories.person(db, event, "Organiser One", role=Role.organiser),
            "outsider": await factories.person(db, event, "Not Registered"),
            "other_moderator": await factories.person(db, other_event, "Other Chair", role=Role.moderator),
            "admin": await factories.person(db, event, "Instance Admin", admin=True),  # no role in the event
        }
    return World(event, sessions[1], sessions[2], other_event, other_session, people)


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
async def web(settings: Settings, database: Database, recorder: Recorder) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, database, deliver_mail=False)
    app.state.services.broadcaster = recorder
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=ORIGIN) as client:
        yield client


def as_person(client: httpx.AsyncClient, person: Person | None) -> httpx.AsyncClient:
    client.cookies.delete(SESSION_COOKIE)
    if person is not None:
        client.cookies.set(SESSION_COOKIE, person.token)
    return client
