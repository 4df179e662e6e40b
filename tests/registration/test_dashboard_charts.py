"""The organiser dashboard's charts: the pictures, their numbers and their CSV agree with a known data set."""

from __future__ import annotations

import csv
import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest

from server.accounts.models import Role
from tests.support.chart_data import ORGANISER, known_data_set
from tests.support.factories import OTHER_SLUG, event_by_slug, other_event, staff
from tests.support.html import page
from tests.support.http import signed_in_as

pytestmark = pytest.mark.integration


@pytest.fixture
async def known(database, demo_event):
    return await known_data_set(database, demo_event)


def figure(root, name):
    [found] = root.xpath(f"//figure[@data-chart='{name}']")
    return found


def table_rows(found):
    return [[" ".join(cell.text_content().split()) for cell in row] for row in found.xpath(".//tbody/tr")]


async def csv_rows(client, slug, name):
    answer = await client.get(f"/{slug}/organiser/charts/{name}.csv")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    return list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))


async def test_each_chart_shows_and_exports_the_known_numbers(client, database, demo_event, known):
    await signed_in_as(client, database, ORGANISER)

    root = page(await client.get(f"/{demo_event}/organiser"))

    registrations = figure(root, "registrations")
    assert table_rows(registrations) == [
        ["Oct 25, 2021", "2", "0"],
        ["Oct 26, 2021", "2", "1"],
        ["Oct 27, 2021", "3", "1"],
    ]
    assert registrations.xpath("string(.//svg/title)") == "Registrations so far, by day and attendance"
    assert registrations.xpath(".//svg/@role") == ["img"]
    assert len(registrations.xpath(".//svg//polyline")) == 2
    assert await csv_rows(client, demo_event, "registrations") == [
        ["Day", "On site", "Online"],
        ["2021-10-25", "2", "0"],
        ["2021-10-26", "2", "1"],
        ["2021-10-27", "3", "1"],
    ]

    countries = figure(root, "countries")
    assert table_rows(countries) == [["Indonesia", "2"], ["China", "1"], ["Japan", "1"]]
    widths = [float(width) for width in countries.xpath(".//svg//rect[@data-value]/@width")]
    assert [float(value) for value in countries.xpath(".//svg//rect[@data-value]/@data-value")] == [2, 1, 1]
    assert widths[0] == pytest.approx(2 * widths[1]) and widths[1] == widths[2] > 0
    assert await csv_rows(client, demo_event, "countries") == [
        ["Country", "Delegates"],
        ["Indonesia", "2"],
        ["China", "1"],
        ["Japan", "1"],
    ]

    sessions = figure(root, "sessions")
    [row] = [row for row in table_rows(sessions) if row[0] == known.title]
    assert row == [known.title, "2", "2", "1"]
    assert len(sessions.xpath(".//svg//rect[@data-value]")) == 3 * len(table_rows(sessions))
    [drawn] = [
        row
        for row in sessions.xpath(".//svg/g[@class='chart-row']")
        if row.xpath("string(rect[1]/title)").startswith(known.title + ":")
    ]
    track, taken, waiting = (float(width) for width in drawn.xpath("rect/@width"))
    assert taken == track and waiting > 0
    assert drawn.xpath("string(text[last()])") == "2 of 2, 1 waiting"
    exported = await csv_rows(client, demo_event, "sessions")
    assert exported[0] == ["Session", "Seats", "Confirmed", "Waitlist"]
    assert [known.title, "2", "2", "1"] in exported[1:]

    arrivals = figure(root, "arrivals")
    assert [row[1] for row in table_rows(arrivals)] == ["2", "0", "1"]
    heights = [float(height) for height in arrivals.xpath(".//svg//rect[@data-value]/@height")]
    assert heights[0] == pytest.approx(2 * heights[2]) and heights[1] == 0
    async with database.session() as db:
        zone = ZoneInfo((await event_by_slug(db, demo_event)).timezone)
    assert await csv_rows(client, demo_event, "arrivals") == [
        ["Hour", "Arrivals"],
        *(
            [dt.datetime(2021, 10, 28, hour, tzinfo=zone).isoformat(), count]
            for hour, count in ((9, "2"), (10, "0"), (11, "1"))
        ),
    ]

    live = figure(root, f"live-{known.code}")
    assert [row[1:] for row in table_rows(live)] == [["5", "0"], ["8", "1"], ["0", "2"], ["4", "2"]]
    assert known.title in live.xpath("string(.//figcaption)")
    exported = await csv_rows(client, demo_event, f"live-{known.code}")
    assert exported[0] == ["Time", "Viewers", "Questions so far"]
    assert [row[1:] for row in exported[1:]] == [["5", "0"], ["8", "1"], ["0", "2"], ["4", "2"]]


async def test_empty_event_shows_empty_states(client, database, demo_event):
    async with database.session() as db:
        await staff(db, await event_by_slug(db, demo_event), Role.organiser, ORGANISER)
    await signed_in_as(client, database, ORGANISER)

    root = page(await client.get(f"/{demo_event}/organiser"))

    for name, empty in (
        ("registrations", "No registrations yet."),
        ("countries", "No confirmed delegate has given a country yet."),
        ("arrivals", "Nobody has checked in yet."),
    ):
        assert figure(root, name).xpath("string(.//p[@class='empty-state'])") == empty
        assert figure(root, name).xpath(".//svg") == []
    assert "No live room has had viewers or questions yet." in root.xpath(
        "string(//section[@aria-labelledby='live-charts-heading'])"
    )
    assert await csv_rows(client, demo_event, "arrivals") == [["Hour", "Arrivals"]]


async def test_chart_csv_is_the_organisers_only(client, database, demo_event, known):
    await signed_in_as(client, database, "delegate0@example.org")
    assert (await client.get(f"/{demo_event}/organiser/charts/countries.csv")).status_code == 404

    async with database.session() as db:
        other, _session = await other_event(db, copy_of_demo=True)
        await staff(db, other, Role.organiser, "other.organiser@example.org")
    await signed_in_as(client, database, "other.organiser@example.org")
    assert (await client.get(f"/{demo_event}/organiser/charts/countries.csv")).status_code == 404
    assert (await client.get(f"/{OTHER_SLUG}/organiser/charts/countries.csv")).status_code == 200
    assert (await client.get(f"/{OTHER_SLUG}/organiser/charts/live-{known.code}.csv")).status_code == 404

    await signed_in_as(client, database, ORGANISER)
    assert (await client.get(f"/{demo_event}/organiser/charts/nothing.csv")).status_code == 404


async def test_chart_labels_follow_the_page_language(client, database, demo_event, known):
    await signed_in_as(client, database, ORGANISER)
    chinese = {"accept-language": "zh-Hans"}

    exported = await client.get(f"/{demo_event}/organiser/charts/countries.csv", headers=chinese)
    root = page(await client.get(f"/{demo_event}/organiser", headers=chinese))

    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert [row[0] for row in rows[1:]] == ["印度尼西亚", "中国", "日本"]
    assert [row[0] for row in table_rows(figure(root, "countries"))] == ["印度尼西亚", "中国", "日本"]
    assert "10月25日" in [text.text for text in figure(root, "registrations").xpath(".//svg//text")]
