"""The session form's checks: wall times in the event's zone, and each bad field named."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from server.organising.session_input import local_moment, number

pytestmark = pytest.mark.unit


def test_local_moment_is_the_wall_time_in_the_events_zone() -> None:
    errors: dict[str, str] = {}

    moment = local_moment("2021-10-27", "09:30", ZoneInfo("Asia/Shanghai"), errors)

    assert (moment, errors) == (dt.datetime(2021, 10, 27, 1, 30, tzinfo=dt.UTC), {})


def test_local_moment_follows_summer_time() -> None:
    winter = local_moment("2026-01-15", "10:00", ZoneInfo("Europe/Paris"), {})
    summer = local_moment("2026-07-15", "10:00", ZoneInfo("Europe/Paris"), {})

    assert (winter, summer) == (
        dt.datetime(2026, 1, 15, 9, tzinfo=dt.UTC),
        dt.datetime(2026, 7, 15, 8, tzinfo=dt.UTC),
    )


@pytest.mark.parametrize(
    ("day", "time", "field"),
    [
        ("2021-02-30", "09:00", "day"),
        ("1066-10-14", "09:00", "day"),
        ("2021-10-27", "9.30", "start"),
        ("2021-10-27", "24:00", "start"),
    ],
)
def test_local_moment_names_the_bad_field(day: str, time: str, field: str) -> None:
    errors: dict[str, str] = {}

    assert local_moment(day, time, ZoneInfo("UTC"), errors) is None
    assert list(errors) == [field]


@pytest.mark.parametrize(
    ("text", "expected"), [("42", 42), (" 7 ", 7), ("-1", None), ("1e3", None), ("9" * 400, None), ("101", None)]
)
def test_number_takes_only_small_whole_numbers(text: str, expected: int | None) -> None:
    assert number(text, limit=100) == expected
