"""Factories for registration tests: accounts and confirmed registrations inserted directly."""

from __future__ import annotations

import secrets

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.accounts.models import Account, EventRole, Role
from server.agenda.models import Room, Session
from server.clock import utcnow
from server.events.models import Event
from server.registration.models import Attendance, Registration, RegistrationStatus


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
        await db.exec(select(Session).where(Session.event_id == event.id, Session.kind == kind).order_by(Session.start))
    ).first()
    assert session is not None
    room = await db.get_one(Room, session.room_id)
    room.capacity = capacity
    db.add(room)
    await db.commit()
    return session
