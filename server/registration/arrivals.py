"""Arrivals at the check-in desk, counted per hour of the event's own clock.

Signature, as its neighbours in ``server.registration`` write theirs (``questions_of``, ``event_answers``):
``async def arrivals_per_hour(db: AsyncSession, event: Event) -> list[tuple[datetime, int]]`` — the open async
session first, then the event (positional or keyword). Like those neighbours it checks no permission: the caller
has (the check-in desk asks ``can_check_in``, the dashboard ``can_manage_registrations``).

Each hour is an aware datetime at the start of the hour in the event's time zone (``event.timezone``), counted from
``Registration.checked_in_at``; the list runs from the first hour with an arrival to the last, oldest first, and the
quiet hours between them are there with 0 so a chart's bars stand where their hours are. No arrival: an empty list.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from zoneinfo import ZoneInfo

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.events.models import Event
from server.registration.models import Registration

HOUR = dt.timedelta(hours=1)


def _hour_start(moment: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    """The start of ``moment``'s hour on the event's clock, as a UTC instant (distinct on a doubled DST hour)."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)
    return aware.astimezone(zone).replace(minute=0, second=0, microsecond=0).astimezone(dt.UTC)


async def arrivals_per_hour(db: AsyncSession, event: Event) -> list[tuple[dt.datetime, int]]:
    zone = ZoneInfo(event.timezone)
    arrivals = (
        await db.exec(
            select(Registration.checked_in_at).where(
                Registration.event_id == event.id, col(Registration.checked_in_at).is_not(None)
            )
        )
    ).all()
    counts = Counter(_hour_start(moment, zone) for moment in arrivals if moment is not None)
    if not counts:
        return []
    hours: list[tuple[dt.datetime, int]] = []
    hour, last = min(counts), max(counts)
    while hour <= last:
        hours.append((hour.astimezone(zone), counts[hour]))
        hour = _hour_start(hour + HOUR, zone)
    return hours
