"""The Messages tests' cast: an event whose people fall into every segment, each in a known set."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import select

from server.accounts.models import Account, Role
from server.agenda.models import Person, Session
from server.db import Database
from server.events.models import Event
from server.events.services import get_event
from server.registration.models import Attendance, Registration, RegistrationStatus
from server.registration.seats import pick_session
from tests.support.factories import delegates, session_with_capacity, staff


@dataclass
class Cast:
    event: Event
    session: Session  # one seat: ``seated`` has it, ``waiting`` waits
    onsite: list[str]
    online: list[str]
    seated: str
    waiting: str
    speakers: list[str]  # one by the speaker role, one linked to an agenda speaker
    staff: list[str]  # the organiser and a moderator
    stray: list[str]  # unconfirmed and cancelled registrations: in no segment


async def set_language(database: Database, email: str, language: str) -> None:
    async with database.session() as db:
        registration = (await db.exec(select(Registration).where(Registration.email == email))).one()
        registration.language = language
        db.add(registration)
        await db.commit()


async def build_cast(database: Database, demo_event: str) -> Cast:
    async with database.session() as db:
        event = await get_event(db, slug=demo_event)
        session = await session_with_capacity(db, event, 1)
        onsite = await delegates(db, event, 3)
        online = await delegates(db, event, 2, attendance=Attendance.online, prefix="online")
        stray = await delegates(db, event, 2, prefix="stray")
        for account, status in zip(stray, (RegistrationStatus.unconfirmed, RegistrationStatus.cancelled), strict=True):
            registration = (await db.exec(select(Registration).where(Registration.account_id == account.id))).one()
            registration.status = status
            db.add(registration)
        await db.commit()
        organiser = await staff(db, event, Role.organiser, "organiser@example.org")
        moderator = await staff(db, event, Role.moderator, "moderator@example.org")
        speaker = await staff(db, event, Role.speaker, "speaker@example.org")
        linked = Account(email="linked.speaker@example.org", name="Linked Speaker")
        db.add(linked)
        await db.flush()
        person = (await db.exec(select(Person).where(Person.event_id == event.id))).first()
        assert person is not None
        person.account_id = linked.id
        db.add(person)
        await db.commit()
    for account in onsite[:2]:
        async with database.session() as db:
            await pick_session(db, event=event, account=account, session_id=session.id or 0)
    return Cast(
        event=event,
        session=session,
        onsite=[account.email for account in onsite],
        online=[account.email for account in online],
        seated=onsite[0].email,
        waiting=onsite[1].email,
        speakers=[speaker.email, linked.email],
        staff=[organiser.email, moderator.email],
        stray=[account.email for account in stray],
    )
