"""Arrivals at check-in per hour, in the event's time zone."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from zoneinfo import ZoneInfo

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.events.models import Event
from server.registration.models import Registration


def _hour(moment: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    aware = moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
    return aware.astimezone(zone).replace(minute=0, second=0, microsecond=0)


async def arrivals_per_hour(db_session: AsyncSession, event: Event) -> list[tuple[dt.datetime, int]]:
    """(start of the hour in the event's zone, people checked in during it), from the first arrival's hour to the
    last's, quiet hours included with 0; empty before anyone arrived."""
    moments = (
        await db_session.exec(
            select(Registration.checked_in_at).where(
                Registration.event_id == event.id, col(Registration.checked_in_at).is_not(None)
            )
        )
    ).all()
    zone = ZoneInfo(event.timezone)
    counts = Counter(_hour(moment, zone) for moment in moments if moment is not None)
    if not counts:
        return []
    hours, hour, last = [], min(counts), max(counts)
    while hour <= last:
        hours.append((hour, counts.get(hour, 0)))
        # Stepped in UTC, so a change of clocks neither repeats nor skips an hour.
        hour = _hour(hour.astimezone(dt.UTC) + dt.timedelta(hours=1), zone)
    return hours
