"""Dates, times and numbers as people read them: in the language of the page or mail (Babel, CLDR's patterns)
and in the zone it shows times in (the viewer's chosen zone, else the event's). Pages reach these through the
template filters (server/transport/rendering.py); mails and exports call them directly.

Times are 24-hour in every language (CLDR's ``Hm`` skeleton), as on the agenda; the browser's formatter
(web/static/common/when.js) asks Intl for the same, so a chat line's time reads like the agenda beside it.
A date with a time joins the locale's medium date (``yMMMd``) and ``Hm`` with the locale's own glue, as
Intl does. Machine formats (ISO 8601 in feeds, iCalendar, form values) stay where they are."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError
from babel.dates import format_date as babel_date
from babel.dates import format_skeleton, get_datetime_format
from babel.numbers import format_decimal, format_percent

from server import i18n

TIME = "Hm"  # hours and minutes, 24-hour
TIME_WITH_SECONDS = "Hms"
DATE = "yMMMd"  # "Oct 27, 2021", "2021年10月27日", "27. Okt. 2021"
SHORT_DATE = "MMMEd"  # "Wed, Oct 27": a day within the event
UTC = ZoneInfo("UTC")

Zone = ZoneInfo | str | None


def zone_of(zone: Zone) -> ZoneInfo:
    """A zone from its name (or the zone itself); an unknown or empty name is UTC, never the server's zone."""
    if isinstance(zone, ZoneInfo):
        return zone
    try:
        return ZoneInfo(zone) if zone else UTC
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def in_zone(moment: dt.datetime, zone: Zone) -> dt.datetime:
    """The moment on the clocks of ``zone``; a naive moment is taken as UTC, as the database stores it."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(zone_of(zone))


def _locale(locale: Locale | str | None) -> Locale:
    if locale is None:
        return i18n.current_locale()
    return locale if isinstance(locale, Locale) else Locale.parse(locale)


def time(moment: dt.datetime, zone: Zone, *, seconds: bool = False, locale: Locale | str | None = None) -> str:
    """``09:05`` (or ``09:05:30``): the time of day in ``zone``."""
    shown = in_zone(moment, zone)
    return format_skeleton(TIME_WITH_SECONDS if seconds else TIME, shown, locale=_locale(locale))


def date(
    value: dt.date | dt.datetime, zone: Zone = None, *, width: str = DATE, locale: Locale | str | None = None
) -> str:
    """A date; a moment's date is the one in ``zone``. ``width``: "full", "long", "medium", "short" (the
    locale's formats) or a CLDR skeleton such as ``yMMMd`` or ``MMMEd``."""
    day = in_zone(value, zone).date() if isinstance(value, dt.datetime) else value
    if width in {"full", "long", "medium", "short"}:
        return babel_date(day, format=width, locale=_locale(locale))
    return format_skeleton(width, dt.datetime.combine(day, dt.time()), locale=_locale(locale))


def datetime(
    moment: dt.datetime,
    zone: Zone,
    *,
    dates: str = DATE,
    seconds: bool = False,
    locale: Locale | str | None = None,
) -> str:
    """``Oct 27, 2021, 09:05`` / ``2021年10月27日 09:05``: a date and a time in ``zone``, joined as the locale joins
    them. ``dates`` as for ``date``, except that "short" (``10/27/21`` in English) reads as the medium date."""
    where = _locale(locale)
    dates = DATE if dates == "short" else dates
    glue = str(get_datetime_format("medium", locale=where)).replace("'", "")
    return glue.replace("{1}", date(moment, zone, width=dates, locale=where)).replace(
        "{0}", time(moment, zone, seconds=seconds, locale=where)
    )


def time_range(start: dt.datetime, end: dt.datetime, zone: Zone, *, locale: Locale | str | None = None) -> str:
    """``Oct 27, 2021, 09:00–10:30``; the end's date too when it falls on another day."""
    where = _locale(locale)
    if in_zone(start, zone).date() == in_zone(end, zone).date():
        return datetime(start, zone, locale=where) + "–" + time(end, zone, locale=where)
    return datetime(start, zone, locale=where) + " – " + datetime(end, zone, locale=where)


def number(value: int | float | Decimal, *, locale: Locale | str | None = None) -> str:
    """``12,345`` / ``12.345`` / ``12 345``: grouped as the locale groups."""
    return format_decimal(value, locale=_locale(locale))


def percent(value: float, *, locale: Locale | str | None = None) -> str:
    """``85%`` / ``85 %``: a share between 0 and 1."""
    return format_percent(value, locale=_locale(locale))


def language_name(code: str, *, locale: Locale | str | None = None) -> str:
    """A language's name for the reader ("Japanese", "日语"), from its BCP 47 code; the code when Babel has none."""
    try:
        name = Locale.parse(code.replace("-", "_")).get_display_name(_locale(locale))
    except (ValueError, TypeError, UnknownLocaleError):
        return code
    return name or code
