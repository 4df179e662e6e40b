"""Opening hours: daily, in the event's time zone, on the days the exhibition's session spans. Without hours the
exhibition is open from the session's start to its end."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from server.agenda.models import Session
from server.exhibitions.models import Exhibition

CLOCK = re.compile(r"([01]\d|2[0-3]):[0-5]\d")


def clock_time(text: str) -> dt.time:
    hours, minutes = text.split(":")
    return dt.time(int(hours), int(minutes))


@dataclass(frozen=True, slots=True)
class Opening:
    """Today's (or the next day's) opening as aware datetimes, and whether it is open at ``now``."""

    open_now: bool
    opens: dt.datetime | None  # None once the exhibition has closed for good
    closes: dt.datetime | None


def _days(session: Session, zone: ZoneInfo) -> list[dt.date]:
    first, last = session.start.astimezone(zone).date(), (session.end - dt.timedelta(seconds=1)).astimezone(zone).date()
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]


def spans(session: Session, exhibition: Exhibition | None, zone: ZoneInfo) -> list[tuple[dt.datetime, dt.datetime]]:
    """Every opening of the exhibition, in order (UTC), clipped to the session's start and end."""
    if session.cancelled:
        return []
    if exhibition is None or not exhibition.opens or not exhibition.closes:
        return [(session.start, session.end)]
    found = []
    for day in _days(session, zone):
        start = dt.datetime.combine(day, clock_time(exhibition.opens), zone).astimezone(dt.UTC)
        end = dt.datetime.combine(day, clock_time(exhibition.closes), zone).astimezone(dt.UTC)
        start, end = max(start, session.start), min(end, session.end)
        if start < end:
            found.append((start, end))
    return found


def opening(session: Session, exhibition: Exhibition | None, zone: ZoneInfo, now: dt.datetime) -> Opening:
    """Whether it is open at ``now``, and the opening that holds now or comes next."""
    for start, end in spans(session, exhibition, zone):
        if now < end:
            return Opening(open_now=start <= now, opens=start, closes=end)
    return Opening(open_now=False, opens=None, closes=None)
