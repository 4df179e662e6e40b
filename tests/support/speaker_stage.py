"""The stream's pages around one session with agenda speakers: speakers linked to accounts, staff, a delegate,
and another event."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.accounts.models import Role
from server.agenda.models import Person as Speaker
from server.agenda.models import Session, SessionSpeaker
from server.db import Database
from server.events.models import Event
from tests.support import factories
from tests.support.factories import ONLINE, Person


@dataclass
class Stage:
    event: Event
    session: Session
    other_event: Event
    other_session: Session
    people: dict[str, Person]
    speakers: list[Speaker]  # the session's agenda speakers; the first is linked to people["speaker"]

    def path(self, page: str, *, session: Session | None = None, event: Event | None = None) -> str:
        return f"/{(event or self.event).slug}/sessions/{(session or self.session).code}/{page}"


async def _speakers(db: AsyncSession, session: Session) -> list[Speaker]:
    rows = await db.exec(
        select(Speaker)
        .join(SessionSpeaker, col(SessionSpeaker.person_id) == Speaker.id)
        .where(SessionSpeaker.session_id == session.id)
    )
    return list(rows.all())


async def speak_as(db: AsyncSession, person: Person, speaker: Speaker) -> None:
    """Links the agenda speaker to the person's account, as an organiser does on the Speakers page."""
    speaker.account_id = person.account.id
    db.add(speaker)
    await db.commit()


async def build_stage(database: Database, demo_event: str) -> Stage:
    async with database.session() as db:
        event = await factories.event_by_slug(db, demo_event)
        sessions = await factories.sessions_of(db, event)
        with_speakers = []
        for session in sessions:
            speakers = await _speakers(db, session)
            if speakers:
                with_speakers.append((session, speakers))
        session, speakers = with_speakers[0]
        other_event, other_session = await factories.other_event(db)
        # The first speaker of a later session who does not speak in this one.
        elsewhere = next(
            found[0] for _, found in with_speakers[1:] if found[0].id not in {person.id for person in speakers}
        )
        people = {
            "speaker": await factories.person(db, event, speakers[0].name, role=Role.speaker),
            "namesake": await factories.person(db, event, speakers[0].name, role=Role.speaker),
            "other_speaker": await factories.person(db, event, "Not This Speaker", role=Role.speaker),
            "moderator": await factories.person(db, event, "Chair Person", role=Role.moderator),
            "organiser": await factories.person(db, event, "Organiser One", role=Role.organiser),
            "delegate": await factories.person(db, event, "Online Delegate", attendance=ONLINE),
            "other_moderator": await factories.person(db, other_event, "Other Chair", role=Role.moderator),
        }
        await speak_as(db, people["speaker"], speakers[0])
        await speak_as(db, people["other_speaker"], elsewhere)
    return Stage(event, session, other_event, other_session, people, speakers)
