"""Reminders before a picked session: asked for on its page, mailed once at their time by whichever app process
claims them, moved with the session, never for a cancelled or dropped session; and the calendar feed's alarms."""

from __future__ import annotations

import asyncio
import datetime as dt

import icalendar
import pytest
from sqlmodel import col, delete, select

from server.accounts.models import Account
from server.agenda.models import Session
from server.app import create_app
from server.db import Database
from server.mail.models import OutboxMail
from server.registration.models import Registration, SessionChoice
from server.reminders.models import Reminder
from tests.support import factories
from tests.support.factories import ONLINE
from tests.support.html import page, text_of
from tests.support.http import as_person, post
from tests.support.reminders import SITE, remind, scheduler

pytestmark = pytest.mark.integration
BOTH_BACKENDS = pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)


async def mails_to(database: Database, email: str) -> list[OutboxMail]:
    async with database.session() as db:
        rows = await db.exec(select(OutboxMail).where(OutboxMail.recipient == email).order_by(col(OutboxMail.id)))
        return list(rows.all())


async def change_session(database: Database, session_id: int, **values) -> Session:
    async with database.session() as db:
        session = await db.get_one(Session, session_id)
        for name, value in values.items():
            setattr(session, name, value)
        db.add(session)
        await db.commit()
        await db.refresh(session)
        return session


# --- Asking for a reminder -------------------------------------------------------------------------------------


@BOTH_BACKENDS
async def test_reminder_set_on_its_page_shows_in_the_session_pages_link_and_my_registration(client, database, picked):
    slug, code = picked.event.slug, picked.session.code
    as_person(client, picked.delegate)

    saved = await post(client, f"/{slug}/sessions/{code}/reminder", {"minutes": "30", "mail": "yes"})

    assert (saved.status_code, saved.headers["location"]) == (303, f"/{slug}/sessions/{code}/reminder")
    form = await client.get(saved.headers["location"])
    assert text_of(form, "notice-message") == "Reminder: 30 minutes before it starts"
    assert page(form).xpath("//select[@name='minutes']/option[@selected]/@value") == ["30"]
    state = (await client.get(f"/{slug}/sessions/{code}/reminder.json")).json()
    assert state["reminder"] == {"minutes": 30, "mail": True, "push": False}
    assert (state["text"], state["picked"]) == ("Reminder: 30 minutes before it starts", True)
    session_page = page(await client.get(f"/{slug}/sessions/{code}"))
    assert session_page.xpath("//p[@data-reminder-url]/@data-reminder-url") == [
        f"/{slug}/sessions/{code}/reminder.json"
    ]
    assert session_page.xpath("//p[@data-reminder-url]/a/@href") == [f"/{slug}/sessions/{code}/reminder"]
    mine = page(await client.get(f"/{slug}/registration"))
    assert [" ".join(a.text_content().split()) for a in mine.xpath("//a[contains(@class, 'reminder-link')]")] == [
        "Reminder: 30 minutes before it starts"
    ]


@BOTH_BACKENDS
async def test_reminder_removed_says_so_and_the_json_forgets_it(client, database, picked):
    slug, code = picked.event.slug, picked.session.code
    await remind(database, picked, minutes=5)
    as_person(client, picked.delegate)

    removed = await post(client, f"/{slug}/sessions/{code}/reminder", {"remove": "yes"})

    assert text_of(await client.get(removed.headers["location"]), "notice-message") == "Your reminder is removed."
    state = (await client.get(f"/{slug}/sessions/{code}/reminder.json")).json()
    assert (state["reminder"], state["text"]) == (None, "Remind me before it starts")


async def test_reminder_for_an_unpicked_session_is_refused_with_the_way_forward(client, database, picked):
    slug, code = picked.event.slug, picked.unpicked.code
    as_person(client, picked.delegate)

    refused = await post(client, f"/{slug}/sessions/{code}/reminder", {"minutes": "15", "mail": "yes"})

    form = await client.get(refused.headers["location"])
    assert text_of(form, "notice-message") == (
        "Add the session to your agenda first: reminders are for the sessions you picked."
    )
    assert page(form).xpath("//a[@class='button-link']/@href") == [f"/{slug}/sessions/{code}/pick"]
    assert await count_reminders(database) == 0


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        (
            {"minutes": "7", "mail": "yes"},
            "Choose how long before the session to be reminded: 5, 15, 30 or 60 minutes.",
        ),
        (
            {"minutes": "99999999999999999999", "mail": "yes"},
            "Choose how long before the session to be reminded: 5, 15, 30 or 60 minutes.",
        ),
        ({"minutes": "15"}, "Choose at least one way to be reminded: by mail or by a notification."),
    ],
)
async def test_reminder_with_bad_input_is_refused_and_nothing_stored(client, database, picked, fields, reason):
    slug, code = picked.event.slug, picked.session.code
    as_person(client, picked.delegate)

    refused = await post(client, f"/{slug}/sessions/{code}/reminder", fields)

    assert refused.status_code == 303
    assert text_of(await client.get(refused.headers["location"]), "notice-message") == reason
    assert await count_reminders(database) == 0


async def test_reminder_of_another_events_session_is_not_found(client, database, picked):
    async with database.session() as db:
        _other, theirs = await factories.other_event(db)
    slug = picked.event.slug
    as_person(client, picked.delegate)

    assert (await client.get(f"/{slug}/sessions/{theirs.code}/reminder.json")).status_code == 404
    assert (await client.get(f"/{slug}/sessions/{theirs.code}/reminder")).status_code == 404
    posted = await post(client, f"/{slug}/sessions/{theirs.code}/reminder", {"minutes": "15", "mail": "yes"})
    assert posted.status_code == 404


async def test_reminder_json_for_a_visitor_says_nothing_personal(client, picked):
    state = (await client.get(f"/{picked.event.slug}/sessions/{picked.session.code}/reminder.json")).json()

    assert (state["signed_in"], state["registered"], state["picked"], state["reminder"]) == (False, False, False, None)
    assert state["text"] == "Remind me before it starts"


async def count_reminders(database: Database) -> int:
    async with database.session() as db:
        return len((await db.exec(select(Reminder))).all())


# --- Sending ---------------------------------------------------------------------------------------------------


@BOTH_BACKENDS
async def test_mail_goes_once_at_its_time_in_the_recipients_language(database, picked):
    async with database.session() as db:
        account = await db.get_one(Account, picked.delegate.account.id)
        account.language, account.time_zone = "ja", "Asia/Tokyo"
        db.add(account)
        await db.commit()
    session = await change_session(database, picked.session.id, translations={"ja": {"title": "文化遺産の対話"}})
    await remind(database, picked, minutes=15)
    sender = scheduler(database)
    email = picked.delegate.account.email

    early = await sender.tick(now=session.start - dt.timedelta(minutes=15, seconds=1))
    on_time = await sender.tick(now=session.start - dt.timedelta(minutes=15))
    again = await sender.tick(now=session.start - dt.timedelta(minutes=3))

    assert (len(early.mails), len(on_time.mails), len(again.mails)) == (0, 1, 0)
    (mail,) = await mails_to(database, email)
    assert mail.subject == "15 分後：文化遺産の対話"
    tokyo = session.start.astimezone(dt.timezone(dt.timedelta(hours=9))).strftime("%H:%M")
    assert f"15 分後の {tokyo}（Asia/Tokyo）に始まります。" in mail.body
    assert f"{SITE}/{picked.event.slug}/sessions/{session.code}\n" in mail.body
    assert f"{SITE}/{picked.event.slug}/sessions/{session.code}/reminder\n" in mail.body


@BOTH_BACKENDS
async def test_two_app_processes_racing_send_each_reminder_once(database, settings, picked):
    async with database.session() as db:
        people = [
            await factories.person(db, picked.event, f"Racer {n}", attendance=ONLINE, sessions=(picked.session,))
            for n in range(6)
        ]
    for person in people:
        await remind(database, picked, person=person)
    engines = [Database(settings.database_url) for _ in range(2)]  # each app process has its own connections
    loops = [create_app(settings, own, deliver_mail=False).state.services.reminder_scheduler for own in engines]
    now = picked.session.start - dt.timedelta(minutes=10)

    try:
        rounds = [await asyncio.gather(*(loop.tick(now=now) for loop in loops)) for _ in range(3)]
    finally:
        for own in engines:
            await own.dispose()

    first, second = rounds[0]
    assert sorted(first.mails + second.mails) == sorted(set(first.mails + second.mails))
    assert len(first.mails) + len(second.mails) == 6
    assert [sent.mails for later in rounds[1:] for sent in later] == [[], [], [], []]
    for person in people:
        (mail,) = await mails_to(database, person.account.email)
        assert mail.subject == f"In 15 minutes: {picked.session.title}"
        assert f"{settings.base_url}/{picked.event.slug}/sessions/{picked.session.code}/reminder" in mail.body


async def test_cancelled_session_and_dropped_pick_send_nothing(database, picked):
    await remind(database, picked)
    sender = scheduler(database)
    await change_session(database, picked.session.id, cancelled=True)

    cancelled = await sender.tick(now=picked.session.start - dt.timedelta(minutes=5))
    await change_session(database, picked.session.id, cancelled=False)
    async with database.session() as db:
        await db.exec(delete(SessionChoice).where(col(SessionChoice.session_id) == picked.session.id))
        await db.commit()
    dropped = await sender.tick(now=picked.session.start - dt.timedelta(minutes=5))

    assert (cancelled.mails, dropped.mails) == ([], [])
    assert await mails_to(database, picked.delegate.account.email) == []


async def test_moved_session_moves_its_reminder(database, picked):
    await remind(database, picked, minutes=30)
    sender = scheduler(database)
    old_start = picked.session.start
    later = await change_session(
        database,
        picked.session.id,
        start=old_start + dt.timedelta(hours=2),
        end=picked.session.end + dt.timedelta(hours=2),
    )

    at_old_time = await sender.tick(now=old_start - dt.timedelta(minutes=20))
    at_new_time = await sender.tick(now=later.start - dt.timedelta(minutes=20))
    earlier = await change_session(
        database, picked.session.id, start=later.start - dt.timedelta(hours=1), end=later.end - dt.timedelta(hours=1)
    )
    moved_again = await sender.tick(now=earlier.start - dt.timedelta(minutes=29))

    assert (len(at_old_time.mails), len(at_new_time.mails), len(moved_again.mails)) == (0, 1, 1)
    assert len(await mails_to(database, picked.delegate.account.email)) == 2


async def test_late_reminder_goes_at_once_but_never_once_the_session_has_started(database, picked):
    await remind(database, picked, minutes=60)
    sender = scheduler(database)

    started = await sender.tick(now=picked.session.start)
    just_before = await sender.tick(now=picked.session.start - dt.timedelta(seconds=30))

    assert (len(started.mails), len(just_before.mails)) == (0, 1)


async def test_push_only_reminder_sends_no_mail(database, picked):
    await remind(database, picked, by_mail=False, by_push=True)

    sent = await scheduler(database).tick(now=picked.session.start - dt.timedelta(minutes=1))

    assert len(sent.mails) == 1  # claimed: no browser subscribed, so nothing to push either
    assert (sent.pushes, await mails_to(database, picked.delegate.account.email)) == (0, [])


# --- The calendar feed ------------------------------------------------------------------------------------------


@BOTH_BACKENDS
async def test_calendar_feed_rings_at_the_reminders_time_else_fifteen_minutes_before(client, database, picked):
    async with database.session() as db:
        registration = (
            await db.exec(select(Registration).where(Registration.account_id == picked.delegate.account.id))
        ).one()
        db.add(
            SessionChoice(
                event_id=picked.event.id,
                registration_id=registration.id,
                session_id=picked.unpicked.id,
                attendance=ONLINE,
                status="confirmed",
            )
        )
        await db.commit()
    await remind(database, picked, minutes=60)

    answer = await client.get(f"/{picked.event.slug}/agenda/{registration.feed_token}.ics")

    assert answer.status_code == 200
    calendar = icalendar.Calendar.from_ical(answer.content)
    alarms = {
        str(event["summary"]): [(str(alarm["action"]), alarm["trigger"].dt) for alarm in event.subcomponents]
        for event in calendar.walk("VEVENT")
    }
    assert alarms == {
        picked.session.title: [("DISPLAY", -dt.timedelta(minutes=60))],
        picked.unpicked.title: [("DISPLAY", -dt.timedelta(minutes=15))],
    }
