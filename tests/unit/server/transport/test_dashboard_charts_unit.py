"""The dashboard's charts from their numbers alone: long spans, many countries."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from server.transport.dashboard_charts import arrivals_chart, countries_chart

pytestmark = pytest.mark.unit
ZONE = ZoneInfo("Asia/Shanghai")


def test_arrivals_over_two_days_name_the_day_on_the_axis():
    hours = [(dt.datetime(2021, 10, day, 9, tzinfo=ZONE), count) for day, count in ((27, 3), (28, 5))]

    chart = arrivals_chart(hours)

    assert "Wed 09:00" in str(chart.svg) and "Thu 09:00" in str(chart.svg)
    assert chart.keys == ["2021-10-27T09:00:00+08:00", "2021-10-28T09:00:00+08:00"]
    assert chart.values == [(3,), (5,)]


def test_countries_beyond_the_top_eight_are_counted_together():
    codes = ["ID", "CN", "JP", "TH", "VN", "MY", "PH", "KR", "IN", "FR"]
    chart = countries_chart([(code, 20 - n) for n, code in enumerate(codes)])

    assert chart.labels[:2] == ["Indonesia", "China"]
    assert chart.labels[-1] == "2 other countries"
    assert chart.values[-1] == (12 + 11,)
    assert len(chart.labels) == 9
