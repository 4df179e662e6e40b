"""The stream's pages over HTTP: the Starlette app, and people in every role around one session."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.accounts.models import Role
from server.agenda.models import Person as Speaker
from server.agenda.models import Session, SessionSpeaker
from server.db import Database
from server.events.models import Event
from tests.live import factories
from tests.live.factories import ONLINE, Person
from tests.live_pages.conftest import recorder, web  # noqa: F401 (fixtures shared with the live pages)


@dataclass
class Stage:
    event: Event
    session: Session
    other_event: Event
    other_session: Session
    people: dict[str, Person]

    def path(self, page: str, *, session: Session | None = None, event: Event | None = None) -> str:
        return f"/{(event or self.event).slug}/sessions/{(session or self.session).code}/{page}"


async def _speaker_names(db: AsyncSession, session: Session) -> list[str]:
    rows = await db.exec(
        select(Speaker.name)
        .join(SessionSpeaker, col(SessionSpeaker.person_id) == Speaker.id)
        .where(SessionSpeaker.session_id == session.id)
    )
    return list(rows.all())


@pytest.fixture
async def stage(database: Database, demo_event: str) -> Stage:
    async with database.session() as db:
        event = await factories.event_by_slug(db, demo_event)
        sessions = await factories.sessions_of(db, event)
        with_speakers = []
        for session in sessions:
            names = await _speaker_names(db, session)
            if names:
                with_speakers.append((session, names))
        session, names = with_speakers[0]
        other_event, other_session = await factories.other_event(db)
        people = {
            "speaker": await factories.person(db, event, names[0], role=Role.speaker),
            "other_speaker": await factories.person(db, event, "Not This Speaker", role=Role.speaker),
            "moderator": await factories.person(db, event, "Chair Person", role=Role.moderator),
            "organiser": await factories.person(db, event, "Organiser One", role=Role.organiser),
            "delegate": await factories.person(db, event, "Online Delegate", attendance=ONLINE),
            "other_moderator": await factories.person(db, other_event, "Other Chair", role=Role.moderator),
        }
    return Stage(event, session, other_event, other_session, people)
