"""The check-in desk beyond the badge: finding people by the first letters of their name or organisation, checking
them in from the result, arrivals per hour on the event's clock, and the registrations CSV in the reader's language."""

from __future__ import annotations

import csv
import datetime as dt
import io
import secrets

import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from server.accounts.models import Account, Role
from server.events.models import Event
from server.registration.arrivals import arrivals_per_hour
from server.registration.lookup import LIMIT
from server.registration.models import Registration, RegistrationStatus, SessionChoice
from tests.support.factories import delegates, event_by_slug, other_event, sessions_of, staff
from tests.support.html import page, text_of
from tests.support.http import post, signed_in_as

pytestmark = pytest.mark.integration
DESK = "desk@example.org"


async def arrival(
    db: AsyncSession,
    event: Event,
    name: str,
    *,
    organisation: str = "",
    country: str = "ID",
    checked_in_at: dt.datetime | None = None,
) -> Registration:
    account = Account(email=f"{secrets.token_hex(4)}@example.org", name=name)
    db.add(account)
    await db.flush()
    registration = Registration(
        event_id=event.id or 0,
        account_id=account.id or 0,
        name=name,
        email=account.email,
        country=country,
        organisation=organisation,
        attendance="onsite",
        status=RegistrationStatus.confirmed,
        badge_nonce=secrets.token_hex(8),
        feed_token=secrets.token_urlsafe(24),
        checked_in_at=checked_in_at,
    )
    db.add(registration)
    await db.commit()
    return registration


def names(response) -> list[str]:
    return [" ".join(name.text_content().split()) for name in page(response).xpath("//*[@class='lookup-name']")]


async def test_lookup_by_first_letters_then_check_in_from_the_result(client, database, demo_event):
    async with database.session() as db:
        event = await event_by_slug(db, demo_event)
        elsewhere, _ = await other_event(db)
        emile = await arrival(db, event, "Émile Zola", organisation="Université de Genève")
        await arrival(db, event, "Özlem Türeci", organisation="BioNTech")
        zhang = await arrival(db, event, "Zhang Wei", organisation="Tsinghua University")
        zhang.status = RegistrationStatus.cancelled
        db.add(zhang)
        await db.commit()
        stranger = await arrival(db, elsewhere, "Émilie Other", organisation="Université d'ailleurs")
        await staff(db, event, Role.checkin, DESK)
    await signed_in_as(client, database, DESK)

    by_name = await client.get(f"/{demo_event}/checkin", params={"q": "emi"})
    by_organisation = await client.get(f"/{demo_event}/checkin", params={"q": "UNIV"})
    by_family_name = await client.get(f"/{demo_event}/checkin", params={"q": "tur"})
    nobody = await client.get(f"/{demo_event}/checkin", params={"q": "Qx<b>"})

    assert names(by_name) == ["Émile Zola"]  # accents and case ignored; the other event's Émilie is not shown
    assert names(by_organisation) == ["Émile Zola", "Zhang Wei"]
    assert text_of(by_organisation, "lookup-status") == "Cancelled"  # before the desk presses Check in
    assert names(by_family_name) == ["Özlem Türeci"]
    assert names(nobody) == []
    assert text_of(nobody, "lookup-none").startswith("Nobody registered for this event matches “Qx<b>”.")
    assert "scan the badge" in text_of(nobody, "lookup-none")

    checked = await post(client, f"/{demo_event}/checkin", {"registration": str(emile.id)})
    again = await post(client, f"/{demo_event}/checkin", {"registration": str(emile.id)})
    foreign = await post(client, f"/{demo_event}/checkin", {"registration": str(stranger.id)})
    garbage = await post(client, f"/{demo_event}/checkin", {"registration": "1 OR 1=1"})

    assert page(checked).xpath("//*[@data-outcome]/@data-outcome") == ["checked-in"]
    assert text_of(checked, "checkin-name") == "Émile Zola"
    assert text_of(checked, "arrived-total") == "1 person checked in so far."
    assert page(again).xpath("//*[@data-outcome]/@data-outcome") == ["already"]
    assert page(foreign).xpath("//*[@data-outcome]/@data-outcome") == ["not-found"]
    assert text_of(foreign, "checkin-headline") == "NOT FOUND at this event"
    assert page(garbage).xpath("//*[@data-outcome]/@data-outcome") == ["not-found"]
    listed = await client.get(f"/{demo_event}/checkin", params={"q": "emile"})
    assert text_of(listed, "lookup-state").startswith("Checked in at ")


async def test_lookup_shows_at_most_the_limit_and_says_so(client, database, demo_event):
    async with database.session() as db:
        event = await event_by_slug(db, demo_event)
        await delegates(db, event, LIMIT + 2)
        await staff(db, event, Role.organiser, DESK)
    await signed_in_as(client, database, DESK)

    found = await client.get(f"/{demo_event}/checkin", params={"q": "deleg"})

    assert len(names(found)) == LIMIT
    assert text_of(found, "lookup-more") == f"Only the first {LIMIT} are shown: type more letters to find the person."


async def test_arrivals_per_hour_on_the_events_clock_with_quiet_hours(database, demo_event):
    shanghai = dt.timezone(dt.timedelta(hours=8))  # the demo event's zone, Asia/Shanghai, has no summer time
    async with database.session() as db:
        event = await event_by_slug(db, demo_event)
        for minute_of_day in ((8, 59), (9, 0), (9, 45), (11, 30)):
            at = dt.datetime(2021, 10, 27, *minute_of_day, tzinfo=shanghai)
            await arrival(db, event, f"Early {minute_of_day}", checked_in_at=at.astimezone(dt.UTC))
        await arrival(db, event, "Not yet")
        elsewhere, _ = await other_event(db)
        await arrival(db, elsewhere, "Elsewhere", checked_in_at=dt.datetime(2021, 10, 27, 2, tzinfo=dt.UTC))

        hours = await arrivals_per_hour(db, event)

    assert [(hour.isoformat(), number) for hour, number in hours] == [
        ("2021-10-27T08:00:00+08:00", 1),
        ("2021-10-27T09:00:00+08:00", 2),
        ("2021-10-27T10:00:00+08:00", 0),
        ("2021-10-27T11:00:00+08:00", 1),
    ]
    assert all(str(hour.tzinfo) == "Asia/Shanghai" for hour, _number in hours)


async def test_csv_in_chinese_names_columns_and_countries_and_lists_picks(client, database, demo_event):
    async with database.session() as db:
        event = await event_by_slug(db, demo_event)
        first, second = (await sessions_of(db, event))[:2]
        delegate = await arrival(db, event, "Lin Mei", country="CN", organisation="Dunhuang Academy")
        for session in (second, first):
            db.add(
                SessionChoice(
                    event_id=event.id or 0,
                    registration_id=delegate.id or 0,
                    session_id=session.id or 0,
                    attendance="onsite",
                    status="confirmed",
                )
            )
        await db.commit()
        await staff(db, event, Role.organiser, "organiser@example.org")
    await signed_in_as(client, database, "organiser@example.org")

    english = await client.get(f"/{demo_event}/organiser/registrations.csv", params={"lang": "en"})
    chinese = await client.get(f"/{demo_event}/organiser/registrations.csv", params={"lang": "zh-Hans"})

    [row] = list(csv.DictReader(io.StringIO(english.text.lstrip("\ufeff"))))
    assert (row["Name"], row["Country"], row["Organisation"]) == ("Lin Mei", "China", "Dunhuang Academy")
    assert row["Sessions"] == f"{first.title}; {second.title}"
    [heading, values] = list(csv.reader(io.StringIO(chinese.text.lstrip("\ufeff"))))
    in_chinese = dict(zip(heading, values, strict=True))
    assert heading[:4] == ["姓名", "电子邮箱地址", "国家或地区", "单位"]
    assert (in_chinese["姓名"], in_chinese["国家或地区"]) == ("Lin Mei", "中国")
    assert in_chinese["会议"] == f"{first.title}; {second.title}"
