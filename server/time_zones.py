"""The IANA time zones Podium knows, for every layer that takes a zone's name from people."""

from __future__ import annotations

from functools import cache
from zoneinfo import ZoneInfo, available_timezones


@cache
def known_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def is_known_zone(name: str) -> bool:
    return name in known_zones()


def reader_zone(chosen: str, event_zone: str) -> ZoneInfo:
    """The zone to write times in for a person: their remembered choice, else the event's own."""
    return ZoneInfo(chosen if chosen and is_known_zone(chosen) else event_zone)
