"""Dates, times and numbers as people read them: in the page's language and zone, 24-hour as the agenda, never the
United States' short patterns in another language or the server's own zone."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest

from server import formats, i18n
from server.transport.rendering import ENVIRONMENT
from web import STATIC_DIR, TEMPLATES_DIR

pytestmark = pytest.mark.unit

MOMENT = dt.datetime(2021, 10, 27, 2, 5, 30, tzinfo=dt.UTC)  # 09:05:30 in Jakarta, 10:05:30 in Beijing
JAKARTA = ZoneInfo("Asia/Jakarta")


def test_time_is_24_hour_in_the_zone_asked() -> None:
    shown = [formats.time(MOMENT, JAKARTA, locale=code) for code in ("en", "zh_Hans", "de")]

    assert shown == ["09:05", "09:05", "09:05"]
    assert formats.time(MOMENT, "Asia/Shanghai", seconds=True, locale="en") == "10:05:30"


def test_a_naive_moment_is_utc_and_an_unknown_zone_is_utc() -> None:
    naive = MOMENT.replace(tzinfo=None)

    assert formats.time(naive, JAKARTA, locale="en") == "09:05"
    assert formats.time(MOMENT, "Not/AZone", locale="en") == "02:05"
    assert formats.time(MOMENT, None, locale="en") == "02:05"


def test_datetime_follows_the_language_not_us_patterns() -> None:
    assert formats.datetime(MOMENT, JAKARTA, locale="en") == "Oct 27, 2021, 09:05"
    assert formats.datetime(MOMENT, JAKARTA, locale="zh_Hans") == "2021年10月27日 09:05"
    assert formats.datetime(MOMENT, JAKARTA, locale="de") == "27. Okt. 2021, 09:05"
    assert formats.datetime(MOMENT, JAKARTA, dates="short", locale="en") == "Oct 27, 2021, 09:05"  # not 10/27/21
    assert formats.datetime(MOMENT, JAKARTA, dates="full", locale="en") == "Wednesday, October 27, 2021, 09:05"


def test_the_date_of_a_moment_is_the_one_in_the_zone() -> None:
    late = dt.datetime(2021, 10, 27, 20, 0, tzinfo=dt.UTC)  # already the 28th in Jakarta

    assert formats.date(late, JAKARTA, locale="en") == "Oct 28, 2021"
    assert formats.date(late, "UTC", locale="en") == "Oct 27, 2021"
    assert formats.date(dt.date(2021, 10, 27), width="full", locale="zh_Hans") == "2021年10月27日星期三"
    assert formats.date(dt.date(2021, 10, 27), width="MMMEd", locale="en") == "Wed, Oct 27"


def test_time_range_names_the_end_day_only_when_it_differs() -> None:
    end = MOMENT + dt.timedelta(minutes=90)
    overnight = MOMENT + dt.timedelta(hours=20)

    assert formats.time_range(MOMENT, end, JAKARTA, locale="en") == "Oct 27, 2021, 09:05–10:35"
    assert formats.time_range(MOMENT, overnight, JAKARTA, locale="en") == "Oct 27, 2021, 09:05 – Oct 28, 2021, 05:05"


def test_numbers_group_as_the_language_groups() -> None:
    assert [formats.number(12345.5, locale=code) for code in ("en", "de", "zh_Hans")] == [
        "12,345.5",
        "12.345,5",
        "12,345.5",
    ]
    assert formats.percent(0.85, locale="en") == "85%"
    assert formats.percent(0.85, locale="de") == "85\u00a0%"


def test_the_current_language_is_the_default() -> None:
    token = i18n.activate(i18n.find_language("zh-Hans") or i18n.DEFAULT_LANGUAGE)
    try:
        shown = formats.datetime(MOMENT, JAKARTA)
    finally:
        i18n.deactivate(token)

    assert shown == "2021年10月27日 09:05"


def render(source: str, **context: object) -> str:
    return ENVIRONMENT.from_string(source).render(**context)


def test_filters_show_the_viewers_zone_before_the_page_zone_before_the_events() -> None:
    class Event:
        timezone = "Asia/Jakarta"

    source = "{{ moment|format_time }}"

    assert render(source, moment=MOMENT, event=Event()) == "09:05"
    assert render(source, moment=MOMENT, event=Event(), zone=ZoneInfo("Europe/Paris")) == "04:05"
    assert render(source, moment=MOMENT, event=Event(), shown_zone=ZoneInfo("Asia/Tokyo"), zone="UTC") == "11:05"
    assert render(source, moment=MOMENT, event=Event(), zone="Europe/Paris", time_zone="Asia/Shanghai") == "10:05"
    assert render(source, moment=MOMENT) == "02:05"


def test_filters_format_dates_datetimes_and_numbers() -> None:
    context = {"moment": MOMENT, "time_zone": "Asia/Jakarta"}

    assert render("{{ moment|format_datetime }}", **context) == "Oct 27, 2021, 09:05"
    assert render("{{ moment|format_datetime('MMMEd', seconds=True) }}", **context) == "Wed, Oct 27, 09:05:30"
    assert render("{{ moment|format_date('medium') }}", **context) == "Oct 27, 2021"
    assert render("{{ 1234567|format_number }} {{ 0.5|format_percent }}") == "1,234,567 50%"


# Form values and machine attributes may use fixed formats; what people read goes through the filters.
MACHINE = re.compile(r"value=\"\{\{[^}]*strftime|strftime\('%H:%M'\) \}\}\"")


def test_no_template_formats_a_moment_by_hand() -> None:
    by_hand = {
        str(path.relative_to(TEMPLATES_DIR)): line.strip()
        for path in TEMPLATES_DIR.rglob("*.html")
        for line in path.read_text(encoding="utf-8").splitlines()
        if "strftime" in line and not MACHINE.search(line)
    }

    assert by_hand == {}


def test_no_script_formats_a_moment_in_the_browsers_zone() -> None:
    ad_hoc = re.compile(r"toLocale(Time|Date)?String\(|getHours\(|getMinutes\(")
    scripts = {
        str(path.relative_to(STATIC_DIR)): ad_hoc.findall(path.read_text(encoding="utf-8"))
        for path in STATIC_DIR.rglob("*.js")
        if "vendor" not in path.parts
    }

    assert {name: found for name, found in scripts.items() if found} == {}
