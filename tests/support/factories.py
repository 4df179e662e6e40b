"""Factories: events, sessions, people with roles and signed-in browsers, delegates and staff inserted directly."""

from __future__ import annotations

import datetime as dt
import json
import secrets
from dataclasses import dataclass

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.accounts.models import Account, AuthSession, EventRole, Role, RoleLanguage
from server.accounts.tokens import new_token, token_hash
from server.agenda.interchange import DEMO_EVENT_FILE, import_event, parse_event_file
from server.agenda.models import Room, Session
from server.clock import utcnow
from server.events.models import Event
from server.live.access import Participant
from server.live.models import LiveSettings
from server.registration.models import (
    Attendance,
    ChoiceStatus,
    Registration,
    RegistrationStatus,
    SessionChoice,
)


@dataclass(frozen=True)
class Person:
    account: Account
    token: str  # the session cookie's value

    @property
    def key(self) -> str:
        return f"a{self.account.id}"


async def signed_in(db: AsyncSession, account: Account) -> Person:
    token = new_token()
    db.add(
        AuthSession(
            token_hash=token_hash(token), account_id=account.id or 0, expires_at=utcnow() + dt.timedelta(days=1)
        )
    )
    await db.commit()
    return Person(account=account, token=token)


async def person(
    db: AsyncSession,
    event: Event,
    name: str,
    *,
    role: Role | None = None,
    attendance: str | None = None,
    country: str = "ID",
    sessions: tuple[Session, ...] = (),
    checked_in: bool = False,
    admin: bool = False,
    languages: tuple[str, ...] = (),
) -> Person:
    """An account (with a confirmed registration when ``attendance`` is given), signed in; ``languages`` are those
    an interpreter or captioner ``role`` serves."""
    email = f"{name.lower().replace(' ', '.')}.{secrets.token_hex(3)}@example.org"
    account = Account(email=email, name=name, admin=admin)
    db.add(account)
    await db.flush()
    if role is not None:
        db.add(EventRole(event_id=event.id or 0, account_id=account.id or 0, role=role))
        for language in languages:
            db.add(RoleLanguage(event_id=event.id or 0, account_id=account.id or 0, role=role, language=language))
    if attendance is not None:
        registration = Registration(
            event_id=event.id or 0,
            account_id=account.id or 0,
            name=name,
            email=account.email,
            country=country,
            attendance=attendance,
            status=RegistrationStatus.confirmed,
            confirmed_at=utcnow(),
            checked_in_at=utcnow() if checked_in else None,
            badge_nonce=secrets.token_hex(8),
            feed_token=secrets.token_urlsafe(24),
        )
        db.add(registration)
        await db.flush()
        for session in sessions:
            db.add(
                SessionChoice(
                    event_id=event.id or 0,
                    registration_id=registration.id or 0,
                    session_id=session.id or 0,
                    attendance=attendance,
                    status=ChoiceStatus.confirmed,
                )
            )
    await db.commit()
    return await signed_in(db, account)


async def event_by_slug(db: AsyncSession, slug: str) -> Event:
    event = (await db.exec(select(Event).where(Event.slug == slug))).first()
    assert event is not None
    return event


async def sessions_of(db: AsyncSession, event: Event) -> list[Session]:
    rows = await db.exec(
        select(Session).where(Session.event_id == event.id).order_by(col(Session.start), col(Session.id))
    )
    return list(rows.all())


OTHER_SLUG = "asian-dialogue-2022"  # the demo event's copy from ``other_event(copy_of_demo=True)``


async def other_event(db: AsyncSession, *, copy_of_demo: bool = False) -> tuple[Event, Session]:
    """A second event and its first session: its objects must look "not found" from the first. A copy of the
    demo event under ``OTHER_SLUG`` has the same session codes, so any leak would show; otherwise the event is
    small: one session in one room."""
    if copy_of_demo:
        raw = json.loads(DEMO_EVENT_FILE.read_text(encoding="utf-8"))
        raw["event"]["slug"] = OTHER_SLUG
        raw["event"]["title"] = "Asian Dialogue 2022"
        copied = await import_event(db, document=parse_event_file(json.dumps(raw)))
        return copied, (await sessions_of(db, copied))[0]
    event = Event(
        slug=f"other-{secrets.token_hex(3)}",
        title="Another Forum",
        timezone="UTC",
        start_date=dt.date(2026, 5, 1),
        end_date=dt.date(2026, 5, 1),
    )
    db.add(event)
    await db.flush()
    room = Room(event_id=event.id or 0, slug="hall", name="Hall", capacity=100)
    db.add(room)
    await db.flush()
    start = dt.datetime(2026, 5, 1, 9, tzinfo=dt.UTC)
    session = Session(
        event_id=event.id or 0,
        code="opening",
        title="Opening",
        kind="plenary",
        start=start,
        end=start + dt.timedelta(hours=1),
        room_id=room.id or 0,
    )
    db.add(session)
    await db.commit()
    return event, session


async def set_live_settings(db: AsyncSession, event: Event, **values: object) -> None:
    row = await db.get(LiveSettings, event.id) or LiveSettings(event_id=event.id or 0)
    for name, value in values.items():
        setattr(row, name, value)
    db.add(row)
    await db.commit()


ONSITE, ONLINE = Attendance.onsite, Attendance.online


def moderator_in(person: Person, *, event: Event, session: Session) -> Participant:
    """A moderator admitted to ``session``'s room, for calling services beside the live server (writes that
    are committed but never broadcast)."""
    return Participant(
        key=person.key,
        name=person.account.name,
        kind="account",
        account=person.account,
        event_id=event.id or 0,
        session_id=session.id or 0,
        origin="online",
        country="",
        roles=frozenset({Role.moderator}),
    )


async def delegates(
    db: AsyncSession, event: Event, count: int, *, attendance: str = Attendance.onsite, prefix: str = "delegate"
) -> list[Account]:
    accounts = [Account(email=f"{prefix}{n}@example.org", name=f"Delegate {n}") for n in range(count)]
    db.add_all(accounts)
    await db.flush()
    db.add_all(
        Registration(
            event_id=event.id or 0,
            account_id=account.id or 0,
            name=account.name,
            email=account.email,
            country="ID",
            attendance=attendance,
            status=RegistrationStatus.confirmed,
            confirmed_at=utcnow(),
            badge_nonce=secrets.token_hex(8),
            feed_token=secrets.token_urlsafe(24),
        )
        for account in accounts
    )
    await db.commit()
    return accounts


async def staff(db: AsyncSession, event: Event, role: Role, email: str) -> Account:
    account = Account(email=email, name=role.value.title())
    db.add(account)
    await db.flush()
    db.add(EventRole(event_id=event.id or 0, account_id=account.id or 0, role=role))
    await db.commit()
    return account


async def session_with_capacity(db: AsyncSession, event: Event, capacity: int, *, kind: str = "parallel") -> Session:
    """The first session of ``kind`` in the event, its room resized to ``capacity`` seats."""
    session = (
        await db.exec(
            select(Session).where(Session.event_id == event.id, Session.kind == kind).order_by(col(Session.start))
        )
    ).first()
    assert session is not None
    room = await db.get_one(Room, session.room_id)
    room.capacity = capacity
    db.add(room)
    await db.commit()
    return session
