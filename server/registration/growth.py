"""Registrations over time: how many each attendance mode gained each day, in the event's time zone."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from zoneinfo import ZoneInfo

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.accounts.actors import Actor
from server.events.models import Event
from server.permissions import require
from server.registration.models import Registration, RegistrationStatus
from server.registration.rules import can_manage_registrations

# The registrations that stand: those still waiting for their emailed link, rejected or cancelled do not count.
STANDING = (RegistrationStatus.confirmed, RegistrationStatus.pending, RegistrationStatus.waitlisted)


async def registrations_per_day(db: AsyncSession, *, actor: Actor, event: Event) -> dict[dt.date, Counter[str]]:
    """Standing registrations by the day they were made (event's zone), counted per attendance mode; every day
    from the first to the last is present, quiet days with no count."""
    require(actor, can_manage_registrations)
    rows = (
        await db.exec(
            select(Registration.created_at, Registration.attendance).where(
                Registration.event_id == event.id, col(Registration.status).in_(STANDING)
            )
        )
    ).all()
    zone = ZoneInfo(event.timezone)
    days: dict[dt.date, Counter[str]] = {}
    for created_at, attendance in rows:
        moment = created_at if created_at.tzinfo else created_at.replace(tzinfo=dt.UTC)
        days.setdefault(moment.astimezone(zone).date(), Counter())[attendance] += 1
    if not days:
        return {}
    first, last = min(days), max(days)
    return {
        first + dt.timedelta(days=n): days.get(first + dt.timedelta(days=n), Counter())
        for n in range((last - first).days + 1)
    }
