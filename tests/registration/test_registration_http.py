"""Registration over HTTP: register and confirm, picks, mode changes, cancelling, badge, check-in, feed, CSV."""

from __future__ import annotations

import csv
import io

import icalendar
import pytest
from sqlmodel import col, select, update

from server import formats
from server.accounts.models import Role
from server.agenda.models import Room, Session
from server.registration.badges import check_in_code
from server.registration.models import Registration, RegistrationStatus, SessionChoice
from server.registration.seats import pick_session
from server.transport.auth import SESSION_COOKIE
from tests.support.factories import OTHER_SLUG, delegates, event_by_slug, other_event, session_with_capacity, staff
from tests.support.html import error_message, page, text_of, with_class
from tests.support.http import last_link, post, sign_in, signed_in_as

pytestmark = pytest.mark.integration
EMAIL = "mei.lin@example.org"
FORM = {
    "name": "Mei <Lin>",
    "email": EMAIL,
    "country": "CN",
    "organisation": "Dunhuang Academy",
    "job_title": "Conservator",
    "attendance": "onsite",
    "language": "zh-Hans",
    "accessibility_needs": "Step-free access",
    "listed": "yes",
}


async def notice_after(client, redirect):
    """The notice the page a refused or done write redirected to shows, once."""
    assert redirect.status_code == 303
    return text_of(await client.get(redirect.headers["location"]), "notice-message")


async def registration_of(database, email):
    async with database.session() as db:
        return (await db.exec(select(Registration).where(Registration.email == email))).one()


async def registered(client, database, slug, **changes):
    """Registers through the form and confirms through the mailed link; returns the registration."""
    answer = await post(client, f"/{slug}/register", {**FORM, **changes})
    assert answer.status_code == 303, error_message(answer)
    await post(client, await last_link(database, changes.get("email", EMAIL)))
    return await registration_of(database, changes.get("email", EMAIL))


async def test_register_signed_out_confirm_through_outbox_link(client, database, demo_event):
    answer = await post(client, f"/{demo_event}/register", FORM)

    assert (answer.status_code, answer.headers["location"]) == (303, f"/{demo_event}/register/sent")
    assert (await registration_of(database, EMAIL)).status == RegistrationStatus.unconfirmed
    assert SESSION_COOKIE not in client.cookies
    confirm_page = await client.get(f"/{demo_event}/register/sent")
    assert "Almost done" in confirm_page.text

    confirmed = await post(client, await last_link(database, EMAIL))

    assert (confirmed.status_code, confirmed.headers["location"]) == (303, f"/{demo_event}/registration")
    registration = await registration_of(database, EMAIL)
    assert (registration.status, registration.attendance, registration.language) == ("confirmed", "onsite", "zh-Hans")
    assert (registration.name, registration.country, registration.listed) == ("Mei <Lin>", "CN", True)
    mine = await client.get(f"/{demo_event}/registration")
    assert text_of(mine, "message-success") == "You are registered: On site."
    assert "Mei &lt;Lin&gt;" in mine.text and "Mei <Lin>" not in mine.text
    assert "Asian Dialogue" in (await client.get("/account")).text


async def test_register_signed_in_confirmed_at_once(client, database, demo_event):
    await sign_in(client, database, EMAIL)

    answer = await post(client, f"/{demo_event}/register", {**FORM, "email": "ignored@example.org"})

    assert (answer.status_code, answer.headers["location"]) == (303, f"/{demo_event}/registration")
    registration = await registration_of(database, EMAIL)
    assert registration.status == RegistrationStatus.confirmed
    assert (await client.get(f"/{demo_event}/register")).headers["location"] == f"/{demo_event}/registration"


async def test_register_twice_signed_out_409(client, database, demo_event):
    await registered(client, database, demo_event)
    client.cookies.clear()
    again = await post(client, f"/{demo_event}/register", FORM)
    assert again.status_code == 409
    assert error_message(again) == "This address is already registered. Sign in to see or change your registration."


async def test_register_unconfirmed_may_register_again(client, database, demo_event):
    await post(client, f"/{demo_event}/register", FORM)
    again = await post(client, f"/{demo_event}/register", {**FORM, "attendance": "online"})
    assert again.status_code == 303
    await post(client, await last_link(database, EMAIL))
    registration = await registration_of(database, EMAIL)
    assert (registration.status, registration.attendance) == ("confirmed", "online")


async def test_pick_sessions_and_overlap_stays_on_the_page(client, database, demo_event):
    await registered(client, database, demo_event)

    picked = await post(client, f"/{demo_event}/sessions/SD-1/pick", {"next": f"/{demo_event}/registration/sessions"})
    assert (picked.status_code, picked.headers["location"]) == (303, f"/{demo_event}/registration/sessions")
    assert (await post(client, f"/{demo_event}/sessions/KEYNOTE/pick")).status_code == 303

    clash = await post(client, f"/{demo_event}/sessions/EML-1/pick")
    assert (clash.status_code, clash.headers["location"]) == (303, f"/{demo_event}/sessions/EML-1/pick")
    refused = await client.get(clash.headers["location"])
    assert "overlaps" in text_of(refused, "notice-message")
    assert page(refused).xpath("//div[@class='notice inline-notice']//form/@action") == [
        f"/{demo_event}/sessions/SD-1/unpick"
    ]
    assert "overlaps" not in (await client.get(clash.headers["location"])).text  # shown once

    mine = await client.get(f"/{demo_event}/registration")
    items = page(mine).xpath("//li[@data-code]")
    assert [item.get("data-code") for item in items] == ["KEYNOTE", "SD-1"]
    assert {" ".join(el.text_content().split()) for el in with_class(mine, "pick-status")} == {"Seat confirmed"}
    assert text_of(await client.get(f"/{demo_event}/sessions/SD-1/pick"), "pick-status") == (
        "This session is in your agenda, with a seat on site."
    )

    assert (await post(client, f"/{demo_event}/sessions/SD-1/unpick")).status_code == 303
    again = await post(client, f"/{demo_event}/sessions/SD-1/unpick")
    assert again.status_code == 303
    assert (
        text_of(await client.get(again.headers["location"]), "notice-message") == "This session is not in your agenda."
    )
    assert (await post(client, f"/{demo_event}/sessions/EML-1/pick")).status_code == 303


async def test_pick_full_session_waitlist_position(client, database, demo_event):
    async with database.session() as db:
        current = await event_by_slug(db, demo_event)
        session = await session_with_capacity(db, current, 1)
        (first,) = await delegates(db, current, 1)
    async with database.session() as db:
        await pick_session(db, event=current, account=first, session_id=session.id)
    await registered(client, database, demo_event)

    await post(client, f"/{demo_event}/sessions/{session.code}/pick")

    answer = await client.get(f"/{demo_event}/sessions/{session.code}/pick")
    assert text_of(answer, "pick-status") == ("You are on the waitlist, number 1. We email you when a seat frees up.")


async def test_pick_signed_out_or_unregistered(client, database, demo_event):
    refused = await post(client, f"/{demo_event}/sessions/SD-1/pick")
    assert refused.headers["location"] == f"/signin?next=%2F{demo_event}%2Fsessions%2FSD-1%2Fpick"
    await sign_in(client, database, EMAIL)
    assert (await post(client, f"/{demo_event}/sessions/SD-1/pick")).status_code == 404
    assert (await post(client, f"/{demo_event}/sessions/NO-SUCH/pick")).status_code == 404
    offer = await client.get(f"/{demo_event}/sessions/SD-1/pick")
    assert f'href="/{demo_event}/register"' in offer.text


async def test_change_attendance_frees_and_retakes_seats(client, database, demo_event):
    await registered(client, database, demo_event)
    await post(client, f"/{demo_event}/sessions/SD-1/pick")

    online = await post(client, f"/{demo_event}/registration/attendance", {"attendance": "online"})
    assert online.status_code == 303
    async with database.session() as db:
        choice = (await db.exec(select(SessionChoice))).one()
    assert (choice.attendance, choice.status) == ("online", "confirmed")
    assert (await registration_of(database, EMAIL)).attendance == "online"

    # Someone else takes the only seat left in the room.
    async with database.session() as db:
        current = await event_by_slug(db, demo_event)
        session = await db.get_one(Session, choice.session_id)
        await db.exec(update(Room).where(col(Room.id) == session.room_id).values(capacity=1))
        await db.commit()
        (seated,) = await delegates(db, current, 1, prefix="seated")
    async with database.session() as db:
        await pick_session(db, event=current, account=seated, session_id=choice.session_id)
    full = await post(client, f"/{demo_event}/registration/attendance", {"attendance": "onsite"})
    assert (full.status_code, full.headers["location"]) == (303, f"/{demo_event}/registration")
    assert (await notice_after(client, full)).startswith("No seats remain on site for:")
    assert (await registration_of(database, EMAIL)).attendance == "online"

    bad = await post(client, f"/{demo_event}/registration/attendance", {"attendance": "teleport"})
    assert bad.status_code == 303
    assert await notice_after(client, bad)


async def test_cancel_registration(client, database, demo_event):
    await registered(client, database, demo_event)
    await post(client, f"/{demo_event}/sessions/SD-1/pick")

    unticked = await post(client, f"/{demo_event}/registration/cancel")
    assert await notice_after(client, unticked) == (
        "Please tick the box to confirm that you want to cancel your registration."
    )
    assert (await registration_of(database, EMAIL)).status == "confirmed"

    cancelled = await post(client, f"/{demo_event}/registration/cancel", {"confirm": "yes"})

    assert cancelled.status_code == 303
    assert (await registration_of(database, EMAIL)).status == "cancelled"
    async with database.session() as db:
        assert (await db.exec(select(SessionChoice))).all() == []
    assert (await client.get(f"/{demo_event}/badge")).status_code == 404
    mine = await client.get(f"/{demo_event}/registration")
    assert page(mine).xpath("//*[@data-status]/@data-status") == ["cancelled"]


async def test_badge_shows_qr_svg_name_and_code(client, database, settings, demo_event):
    registration = await registered(client, database, demo_event)

    badge = await client.get(f"/{demo_event}/badge")

    assert badge.status_code == 200
    assert badge.headers["cache-control"] == "private, no-store"
    assert text_of(badge, "badge-name") == "Mei <Lin>"
    assert text_of(badge, "badge-country") == "China"
    assert text_of(badge, "badge-organisation") == "Dunhuang Academy"
    assert text_of(badge, "badge-mode") == "On site"
    assert len(page(badge).xpath("//*[contains(@class, 'badge-qr')]/*[local-name()='svg']")) == 1
    assert text_of(badge, "badge-code") == "Check-in code: " + check_in_code(registration, secret=settings.secret_key)
    assert "<Lin>" not in badge.text


async def checked(client, slug, code):
    answer = await post(client, f"/{slug}/checkin", {"code": code})
    assert answer.status_code == 200, answer.text
    outcome = page(answer).xpath("//*[@data-outcome]/@data-outcome")
    return outcome[0], answer


async def test_checkin_outcomes(client, database, settings, demo_event, browsers):
    secret = settings.secret_key
    async with database.session() as db:
        current = await event_by_slug(db, demo_event)
        arriving, leaving, late = await delegates(db, current, 3)
        await staff(db, current, Role.organiser, "desk@example.org")
        elsewhere, _ = await other_event(db, copy_of_demo=True)
        (foreign,) = await delegates(db, elsewhere, 1, prefix="foreign")
        await db.exec(update(Registration).where(Registration.account_id == late.id).values(status="unconfirmed"))
        await db.commit()
        codes = {
            person.email: check_in_code(
                (await db.exec(select(Registration).where(Registration.account_id == person.id))).one(), secret=secret
            )
            for person in (arriving, leaving, late, foreign)
        }
    async with browsers() as leaver:
        await signed_in_as(leaver, database, leaving.email)
        assert (await post(leaver, f"/{demo_event}/registration/cancel", {"confirm": "yes"})).status_code == 303
    await signed_in_as(client, database, "desk@example.org")

    outcome, first = await checked(client, demo_event, codes[arriving.email].lower())
    assert outcome == "checked-in"
    assert text_of(first, "checkin-headline") == "Checked in. Welcome!"
    assert text_of(first, "checkin-name") == arriving.name
    outcome, second = await checked(client, demo_event, codes[arriving.email])
    assert outcome == "already"
    assert text_of(second, "checkin-headline").startswith("ALREADY checked in at ")
    assert (await checked(client, demo_event, codes[leaving.email]))[0] == "cancelled"
    assert (await checked(client, demo_event, codes[late.email]))[0] == "unconfirmed"
    assert (await checked(client, demo_event, codes[foreign.email]))[0] == "other-event"
    forged = codes[arriving.email][:-4] + "AAAA"
    assert (await checked(client, demo_event, forged))[0] == "invalid"
    assert (await checked(client, demo_event, "hello <script>"))[0] == "invalid"


async def test_feed_lists_picks_and_rotation_ends_old_address(client, database, demo_event):
    await registered(client, database, demo_event)
    for code in ("KEYNOTE", "SD-1"):
        await post(client, f"/{demo_event}/sessions/{code}/pick")
    mine = await client.get(f"/{demo_event}/registration")
    https_url = page(mine).xpath("//input[@id='feed-url']/@value")[0]
    webcal = page(mine).xpath("//a[contains(@class, 'feed-webcal')]/@href")[0]
    path = https_url.removeprefix("http://127.0.0.1:8000")
    assert webcal == "webcal://127.0.0.1:8000" + path

    feed = await client.get(path)

    assert feed.status_code == 200
    assert feed.headers["content-type"] == "text/calendar; charset=utf-8"
    calendar = icalendar.Calendar.from_ical(feed.content)
    titles = sorted(str(component["summary"]) for component in calendar.walk("VEVENT"))
    assert len(titles) == 2
    assert str(calendar["x-wr-calname"]).endswith(": my agenda")

    assert (await post(client, f"/{demo_event}/registration/feed")).status_code == 303
    assert (await client.get(path)).status_code == 404
    fresh = page(await client.get(f"/{demo_event}/registration")).xpath("//input[@id='feed-url']/@value")[0]
    assert fresh != https_url
    assert (await client.get(fresh.removeprefix("http://127.0.0.1:8000"))).status_code == 200

    async with database.session() as db:
        await other_event(db, copy_of_demo=True)
    token = fresh.rsplit("/", 1)[1]
    assert (await client.get(f"/{OTHER_SLUG}/agenda/{token}")).status_code == 404


async def test_csv_export_neutralises_formulas(client, database, demo_event, browsers):
    async with browsers() as attacker:
        await registered(attacker, database, demo_event, name='=HYPERLINK("http://evil")', email="x@example.org")
    async with database.session() as db:
        await staff(db, await event_by_slug(db, demo_event), Role.organiser, "organiser@example.org")
    await signed_in_as(client, database, "organiser@example.org")

    export = await client.get(f"/{demo_event}/organiser/registrations.csv")

    assert export.status_code == 200
    assert export.headers["content-type"] == "text/csv; charset=utf-8"
    assert export.headers["content-disposition"] == f'attachment; filename="{demo_event}-registrations.csv"'
    rows = list(csv.DictReader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert [(row["Name"], row["Email address"], row["Country"], row["Status"]) for row in rows] == [
        ('\'=HYPERLINK("http://evil")', "x@example.org", "China", "confirmed")
    ]


async def test_csv_export_dates_read_in_the_organisers_language_and_the_events_zone(client, database, demo_event):
    registration = await registered(client, database, demo_event)
    async with database.session() as db:
        await staff(db, await event_by_slug(db, demo_event), Role.organiser, "organiser@example.org")
    await signed_in_as(client, database, "organiser@example.org")

    english = await client.get(f"/{demo_event}/organiser/registrations.csv?lang=en")
    chinese = await client.get(f"/{demo_event}/organiser/registrations.csv?lang=zh-Hans")

    # The same columns in both: read them by the English headings' places.
    en_heading, en_row = list(csv.reader(io.StringIO(english.content.decode("utf-8-sig"))))
    _zh_heading, zh_row = list(csv.reader(io.StringIO(chinese.content.decode("utf-8-sig"))))
    registered_at, checked_in_at = en_heading.index("Registered at"), en_heading.index("Checked in at")
    shown = formats.in_zone(registration.created_at, "Asia/Shanghai")
    assert en_row[registered_at] == f"{shown:%b} {shown.day}, {shown.year}, {shown:%H:%M}"
    assert zh_row[registered_at] == f"{shown.year}年{shown.month}月{shown.day}日 {shown:%H:%M}"
    assert zh_row[checked_in_at] == ""


async def test_participants_lists_only_consenting(client, database, demo_event, browsers):
    async with browsers() as shy:
        await registered(shy, database, demo_event, email="shy@example.org", name="Shy Person", listed="")
    await registered(client, database, demo_event)

    listed = await client.get(f"/{demo_event}/participants")

    rows = [[" ".join(cell.text_content().split()) for cell in row] for row in page(listed).xpath("//tbody/tr")]
    assert rows == [["Mei <Lin>", "Dunhuang Academy", "China"]]


async def test_dashboard_counts_countries_and_fill(client, database, demo_event):
    async with database.session() as db:
        current = await event_by_slug(db, demo_event)
        session = await session_with_capacity(db, current, 2)
        people = await delegates(db, current, 3)
        await delegates(db, current, 1, attendance="online", prefix="remote")
        await staff(db, current, Role.organiser, "organiser@example.org")
    for person in people:
        async with database.session() as db:
            await pick_session(db, event=current, account=person, session_id=session.id)
    await signed_in_as(client, database, "organiser@example.org")

    report = await client.get(f"/{demo_event}/organiser")

    assert report.status_code == 200
    root = page(report)
    assert root.xpath("//tr[@data-mode='onsite']/td[@data-status='confirmed']/text()") == ["3"]
    assert root.xpath("//tr[@data-mode='online']/td[@data-status='confirmed']/text()") == ["1"]
    assert [" ".join(li.text_content().split()) for li in root.xpath("//ul[@class='country-list']/li")] == [
        "Indonesia (4)"
    ]
    fill = [" ".join(cell.text_content().split()) for cell in root.xpath(f"//tr[@data-code='{session.code}']/td")]
    assert fill[2:] == ["2 / 2", "100%", "1", "0"]
    assert text_of(report, "checked-in-count") == "Checked in: 0 of 4 confirmed."


async def test_dashboard_session_times_read_in_the_pages_language_not_us_style(client, database, demo_event):
    async with database.session() as db:
        await staff(db, await event_by_slug(db, demo_event), Role.organiser, "organiser@example.org")
    await signed_in_as(client, database, "organiser@example.org")

    english = page(await client.get(f"/{demo_event}/organiser?lang=en"))
    chinese = page(await client.get(f"/{demo_event}/organiser?lang=zh-Hans"))

    # The opening at 09:00 in the event's zone (Asia/Shanghai), never "10/27/21, 9:00 AM".
    assert english.xpath("//html/@data-time-zone") == ["Asia/Shanghai"]
    assert english.xpath("//tr[@data-code='OPEN']/td[1]/time/text()") == ["Oct 27, 2021, 09:00"]
    assert chinese.xpath("//tr[@data-code='OPEN']/td[1]/time/text()") == ["2021年10月27日 09:00"]
