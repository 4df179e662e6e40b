"""One event with people in every role around one session, and another event whose objects must look "not found"."""

from __future__ import annotations

from dataclasses import dataclass

from server.accounts.models import Role
from server.agenda.models import Session
from server.db import Database
from server.events.models import Event
from tests.support import factories
from tests.support.factories import ONLINE, ONSITE, Person

ROLES = ("delegate", "onsite", "speaker", "moderator", "organiser", "outsider", "other_moderator", "admin")


@dataclass
class World:
    event: Event
    session: Session  # the room most tests use
    second: Session  # another session of the same event
    other_event: Event
    other_session: Session
    people: dict[str, Person]  # by role name, as ``ROLES`` lists them

    @property
    def delegate(self) -> Person:  # registered online
        return self.people["delegate"]

    @property
    def onsite(self) -> Person:  # registered on site, checked in, picked ``session``
        return self.people["onsite"]

    @property
    def speaker(self) -> Person:
        return self.people["speaker"]

    @property
    def moderator(self) -> Person:
        return self.people["moderator"]

    @property
    def organiser(self) -> Person:
        return self.people["organiser"]

    @property
    def outsider(self) -> Person:  # signed in, not registered
        return self.people["outsider"]

    @property
    def other_moderator(self) -> Person:  # moderator of the other event only
        return self.people["other_moderator"]

    @property
    def admin(self) -> Person:  # an instance admin with no role in the event
        return self.people["admin"]

    def path(self, page: str, *, session: Session | None = None, event: Event | None = None) -> str:
        """A session page's path, such as ``room`` or ``moderate``."""
        return f"/{(event or self.event).slug}/sessions/{(session or self.session).code}/{page}"


async def build_world(database: Database, slug: str) -> World:
    async with database.session() as db:
        event = await factories.event_by_slug(db, slug)
        sessions = await factories.sessions_of(db, event)
        other_event, other_session = await factories.other_event(db)
        person = factories.person
        people = {
            "delegate": await person(db, event, "Ayu Online", attendance=ONLINE, country="ID"),
            "onsite": await person(
                db, event, "Bima Onsite", attendance=ONSITE, country="MY", sessions=(sessions[1],), checked_in=True
            ),
            "speaker": await person(db, event, "Speaker One", role=Role.speaker),
            "moderator": await person(db, event, "Chair Person", role=Role.moderator),
            "organiser": await person(db, event, "Organiser One", role=Role.organiser),
            "outsider": await person(db, event, "Not Registered"),
            "other_moderator": await person(db, other_event, "Other Chair", role=Role.moderator),
            "admin": await person(db, event, "Instance Admin", admin=True),
        }
    return World(event, sessions[1], sessions[2], other_event, other_session, people)
