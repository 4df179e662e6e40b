"""The organiser dashboard's charts: the pictures, their numbers and their CSV agree with a known data set."""

from __future__ import annotations

import csv
import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import col, update

from server.accounts.models import Role
from server.live.models import Question, ViewerSample
from server.registration.models import Registration
from server.registration.seats import pick_session
from tests.support.factories import OTHER_SLUG, delegates, event_by_slug, other_event, session_with_capacity, staff
from tests.support.html import page
from tests.support.http import signed_in_as

pytestmark = pytest.mark.integration
ORGANISER = "organiser@example.org"


def local(zone: str, day: int, hour: int, minute: int = 0) -> dt.datetime:
    """A moment of 2021-10-<day> in the event's zone, as UTC (how the database keeps it)."""
    return dt.datetime(2021, 10, day, hour, minute, tzinfo=ZoneInfo(zone)).astimezone(dt.UTC)


async def set_times(db, email: str, **times: dt.datetime) -> None:
    await db.exec(update(Registration).where(col(Registration.email) == email).values(**times))


@pytest.fixture
async def known(database, demo_event):
    """Three on site (Indonesia, Indonesia, Japan) and one online (China), made on 25, 25, 27 and 26 October; two
    picks fill a two-seat session and the third waits; arrivals at 9:10, 9:50 and 11:05; a live room with viewers
    at 10:00, 10:01, 10:03 and questions at 10:01 and 10:02."""
    async with database.session() as db:
        event = await event_by_slug(db, demo_event)
        zone = event.timezone
        session = await session_with_capacity(db, event, 2)
        onsite = await delegates(db, event, 3)
        await delegates(db, event, 1, attendance="online", prefix="remote")
        await staff(db, event, Role.organiser, ORGANISER)
        await staff(db, event, Role.moderator, "moderator@example.org")
        made = {"delegate0": 25, "delegate1": 25, "delegate2": 27, "remote0": 26}
        for prefix, day in made.items():
            await set_times(db, f"{prefix}@example.org", created_at=local(zone, day, 12))
        await set_times(db, "delegate2@example.org", country="JP")
        await set_times(db, "remote0@example.org", country="CN")
        arrivals = {"delegate0": (9, 10), "delegate1": (9, 50), "delegate2": (11, 5)}
        for prefix, (hour, minute) in arrivals.items():
            await set_times(db, f"{prefix}@example.org", checked_in_at=local(zone, 28, hour, minute))
        for minute, connected in ((0, 5), (1, 8), (3, 4)):
            db.add(
                ViewerSample(session_id=session.id, minute=local(zone, 28, 10, minute), connected=connected, online=1)
            )
        for n, minute in enumerate((1, 2)):
            db.add(
                Question(
                    event_id=event.id,
                    session_id=session.id,
                    author_key=f"g{n}",
                    origin="online",
                    text=f"Question {n}",
                    client_id=f"c{n}",
                    created_at=local(zone, 28, 10, minute),
                )
            )
        await db.commit()
    for person in onsite:
        async with database.session() as db:
            await pick_session(db, event=event, account=person, session_id=session.id)
    return session


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
    bars = sessions.xpath(".//svg//rect[@data-value]")
    assert len(bars) == 3 * len(table_rows(sessions))
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
