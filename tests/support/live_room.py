"""A live room of the demo event served by a real app process, with the people browser tests sign in as."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from server.accounts.models import Role
from server.agenda.models import Session
from server.db import Database
from server.events.models import Event
from tests.support import factories
from tests.support.factories import ONLINE, Person
from tests.support.servers import LiveSite


@dataclass
class LiveRoom:
    site: LiveSite
    event: Event
    session: Session
    delegate: Person
    moderator: Person
    organiser: Person
    database: Database

    def path(self, page: str) -> str:
        return f"{self.site.url}/{self.event.slug}/sessions/{self.session.code}/{page}"


@asynccontextmanager
async def live_room(
    database_url: str,
    database: Database,
    slug: str,
    *,
    starts_in: dt.timedelta | None = None,
    country: str = "ID",
    **live_settings: object,
) -> AsyncIterator[LiveRoom]:
    """The demo's second session (moved to start ``starts_in`` from now, when given) with an online delegate from
    ``country``, a moderator and an organiser; ``live_settings`` are the event's (moderated=True, …)."""
    async with database.session() as db:
        event = await factories.event_by_slug(db, slug)
        session = (await factories.sessions_of(db, event))[1]
        if starts_in is not None:
            start = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0) + starts_in
            session.start, session.end = start, start + dt.timedelta(hours=1)
            db.add(session)
            await db.commit()
            await db.refresh(session)
        if live_settings:
            await factories.set_live_settings(db, event, **live_settings)
        delegate = await factories.person(db, event, "Online Delegate", attendance=ONLINE, country=country)
        moderator = await factories.person(db, event, "Chair Person", role=Role.moderator)
        organiser = await factories.person(db, event, "Organiser One", role=Role.organiser)
    site = LiveSite(database_url)
    site.start()
    try:
        yield LiveRoom(site, event, session, delegate, moderator, organiser, database)
    finally:
        site.stop()
