"""The back office's Registration section: the window, limits and the waitlist, the form's fields and questions,
approval and the confirmation mail's paragraph, as organisers set them and delegates meet them."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from sqlmodel import col, select

from server.accounts.models import Role
from server.audit.models import AuditEntry
from server.clock import utcnow
from server.events.services import get_event
from server.mail.models import OutboxMail
from server.registration.models import (
    Registration,
    RegistrationAnswer,
    RegistrationQuestion,
    RegistrationSettings,
    RegistrationStatus,
)
from tests.support.factories import delegates, other_event, staff
from tests.support.html import error_message, page, text_of
from tests.support.http import last_link, post, signed_in_as

pytestmark = [pytest.mark.integration, pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)]
ORGANISER = "organiser@example.org"
FORM = {"name": "Mei Lin", "country": "CN", "attendance": "onsite", "language": "en"}
DEFAULTS = {
    "opens_at": "",
    "closes_at": "",
    "onsite_limit": "",
    "online_limit": "",
    "field_organisation": "optional",
    "field_job_title": "optional",
    "field_country": "required",
    "field_accessibility_needs": "optional",
    "field_language": "optional",
    "field_listed": "optional",
    "confirmation_en": "",
    "confirmation_zh": "",
}


async def organiser(database, slug):
    async with database.session() as db:
        event = await get_event(db, slug=slug)
        await staff(db, event, Role.organiser, ORGANISER)
    return event


async def configure(database, event, **values):
    async with database.session() as db:
        db.add(RegistrationSettings(event_id=event.id, **values))
        await db.commit()


async def add_question(database, event, **values):
    async with database.session() as db:
        question = RegistrationQuestion(event_id=event.id, **values)
        db.add(question)
        await db.commit()
        await db.refresh(question)
        return question


async def status_of(database, email):
    async with database.session() as db:
        return (await db.exec(select(Registration).where(Registration.email == email))).one().status


async def mails_to(database, email):
    async with database.session() as db:
        rows = await db.exec(select(OutboxMail).where(OutboxMail.recipient == email).order_by(col(OutboxMail.id)))
        return [(mail.subject, mail.body) for mail in rows.all()]


async def register_signed_in(client, database, slug, email, **changes):
    await signed_in_as(client, database, email)
    return await post(client, f"/{slug}/register", {**FORM, **changes})


async def test_organiser_saves_the_settings_with_an_audit_entry_and_previews_the_mail(client, database, demo_event):
    await organiser(database, demo_event)
    await signed_in_as(client, database, ORGANISER)
    blank = page(await client.get(f"/{demo_event}/organiser/registration"))
    version = blank.xpath("//input[@name='version']/@value")[0]

    saved = await post(
        client,
        f"/{demo_event}/organiser/registration",
        {
            **DEFAULTS,
            "version": version,
            "onsite_limit": "120",
            "opens_at": "2021-09-01T09:00",
            "requires_approval": "yes",
            "confirmation_en": "Bring your passport.",
            "confirmation_zh": "请携带护照。",
        },
    )
    shown = page(await client.get(saved.headers["location"]))

    assert (saved.status_code, saved.headers["location"]) == (303, f"/{demo_event}/organiser/registration?saved=1")
    assert shown.xpath("//input[@name='onsite_limit']/@value") == ["120"]
    assert shown.xpath("//input[@name='opens_at']/@value") == ["2021-09-01T09:00"]  # the event's zone, Beijing
    assert shown.xpath("//input[@name='requires_approval']/@checked") == ["checked"]
    previews = {node.get("data-language"): node.text_content() for node in shown.xpath("//article[@data-language]")}
    assert "Bring your passport." in previews["en"] and "请携带护照。" in previews["zh"]
    assert shown.xpath("//nav[contains(@class, 'backoffice-nav')]//a[@aria-current='page']/text()") == ["Registration"]
    async with database.session() as db:
        settings = (await db.exec(select(RegistrationSettings))).one()
        [entry] = (await db.exec(select(AuditEntry))).all()
    assert settings.opens_at == dt.datetime(2021, 9, 1, 1, 0, tzinfo=dt.UTC)
    assert (entry.action, entry.after["onsite_limit"], entry.after["requires_approval"]) == (
        "registration_settings.update",
        120,
        True,
    )


async def test_a_save_from_an_old_version_is_refused_with_the_other_organisers_values(client, database, demo_event):
    await organiser(database, demo_event)
    await signed_in_as(client, database, ORGANISER)
    first = await post(
        client, f"/{demo_event}/organiser/registration", {**DEFAULTS, "version": "0", "onsite_limit": "50"}
    )

    second = await post(
        client, f"/{demo_event}/organiser/registration", {**DEFAULTS, "version": "0", "onsite_limit": "80"}
    )

    assert (first.status_code, second.status_code) == (303, 409)
    assert "Another organiser changed these settings" in error_message(second)
    assert page(second).xpath("//input[@name='onsite_limit']/@value") == ["50"]
    async with database.session() as db:
        assert (await db.exec(select(RegistrationSettings))).one().onsite_limit == 50


async def test_the_window_is_kept_on_the_page_and_on_the_post(client, database, demo_event):
    async with database.session() as db:
        event = await get_event(db, slug=demo_event)
    await configure(database, event, opens_at=utcnow() + dt.timedelta(days=3))

    before = await client.get(f"/{demo_event}/register")
    refused = await register_signed_in(client, database, demo_event, "early@example.org")

    assert before.status_code == 200
    assert text_of(before, "registration-window").startswith("Registration opens on ")
    assert page(before).xpath("//input[@name='name']") == []
    assert (refused.status_code, error_message(refused)) == (409, "Registration is not open yet.")
    async with database.session() as db:
        settings = (await db.exec(select(RegistrationSettings))).one()
        settings.opens_at, settings.closes_at = utcnow() - dt.timedelta(days=3), utcnow() - dt.timedelta(hours=1)
        db.add(settings)
        await db.commit()
    client.cookies.clear()
    after = await client.get(f"/{demo_event}/register")
    late = await register_signed_in(client, database, demo_event, "late@example.org")
    assert text_of(after, "registration-window") == "Registration is closed."
    assert (late.status_code, error_message(late)) == (409, "Registration is closed.")
    async with database.session() as db:
        assert (await db.exec(select(Registration))).all() == []


async def test_beyond_the_limit_people_wait_and_move_up_in_order_when_a_place_frees(client, database, demo_event):
    async with database.session() as db:
        event = await get_event(db, slug=demo_event)
    await configure(database, event, onsite_limit=1, confirmation_text={"en": "Doors open at 8."})
    emails = ["first@example.org", "second@example.org", "third@example.org"]
    for email in emails:
        assert (await register_signed_in(client, database, demo_event, email)).status_code == 303
    third_page = await client.get(f"/{demo_event}/registration")

    await signed_in_as(client, database, emails[0])
    cancelled = await post(client, f"/{demo_event}/registration/cancel", {"confirm": "yes"})

    assert text_of(third_page, "message-warning").startswith(
        "Every place of this kind (On site) is taken: you are on the waitlist, number 2."
    )
    assert cancelled.status_code == 303
    assert [await status_of(database, email) for email in emails] == ["cancelled", "confirmed", "waitlisted"]
    promoted = (await mails_to(database, emails[1]))[-1]
    assert promoted[0] == "A place is yours: Asian Dialogue for Cultural Heritage Conservation"
    assert "Doors open at 8." in promoted[1]
    assert [subject for subject, _body in await mails_to(database, emails[2])][-1].startswith("On the waitlist")
    await signed_in_as(client, database, emails[2])
    assert "number 1." in text_of(await client.get(f"/{demo_event}/registration"), "message-warning")
    assert (await client.get(f"/{demo_event}/badge")).status_code == 409
    await staff_client(client, database, event)
    dashboard = page(await client.get(f"/{demo_event}/organiser"))
    assert dashboard.xpath("//tr[@data-mode='onsite']/td[@data-status='waitlisted']/text()") == ["1"]
    rows = list(
        csv.DictReader(
            io.StringIO((await client.get(f"/{demo_event}/organiser/registrations.csv")).text.lstrip("\ufeff"))
        )
    )
    assert [row["Status"] for row in rows] == ["cancelled", "confirmed", "waitlisted"]


async def staff_client(client, database, event):
    async with database.session() as db:
        await staff(db, event, Role.organiser, ORGANISER)
    await signed_in_as(client, database, ORGANISER)


async def test_a_raised_limit_promotes_and_a_limit_below_the_confirmed_is_refused_with_the_count(
    client, database, demo_event
):
    event = await organiser(database, demo_event)
    async with database.session() as db:
        await delegates(db, event, 2)
    await configure(database, event, onsite_limit=2)
    assert (await register_signed_in(client, database, demo_event, "waiting@example.org")).status_code == 303
    await signed_in_as(client, database, ORGANISER)

    lowered = await post(
        client, f"/{demo_event}/organiser/registration", {**DEFAULTS, "version": "1", "onsite_limit": "1"}
    )
    raised = await post(
        client, f"/{demo_event}/organiser/registration", {**DEFAULTS, "version": "1", "onsite_limit": "3"}
    )

    assert lowered.status_code == 400
    assert page(lowered).xpath("//p[@id='onsite_limit-error']/text()") == [
        "2 registrations are already confirmed for this mode: the limit cannot be lower."
    ]
    assert page(lowered).xpath("//input[@name='onsite_limit']/@value") == ["1"]
    assert raised.status_code == 303
    assert await status_of(database, "waiting@example.org") == RegistrationStatus.confirmed
    assert (await mails_to(database, "waiting@example.org"))[-1][0].startswith("A place is yours")


async def test_field_settings_and_a_required_question_change_the_form(client, database, demo_event):
    async with database.session() as db:
        event = await get_event(db, slug=demo_event)
    await configure(database, event, fields={"organisation": "hidden", "job_title": "required"})
    question = await add_question(
        database, event, kind="text", label={"en": "Dietary needs", "zh": "饮食要求"}, required=True, position=1
    )
    form = page(await client.get(f"/{demo_event}/register"))
    assert form.xpath("//input[@name='organisation']") == []
    assert form.xpath("//input[@name='job_title']/@required") != []
    assert form.xpath(f"//label[@for='reg-q{question.id}']/text()") == ["Dietary needs (required)"]

    refused = await register_signed_in(client, database, demo_event, "mei@example.org", organisation="Ignored")

    assert refused.status_code == 400
    refused_page = page(refused)
    assert refused_page.xpath(f"//p[@id='reg-q{question.id}-error']/text()") == ["Please answer this question."]
    assert refused_page.xpath("//p[@id='reg-job-title-error']/text()") == ["Please fill in this field."]
    assert refused_page.xpath("//input[@name='name']/@value") == ["Mei Lin"]
    answered = await post(
        client, f"/{demo_event}/register", {**FORM, "job_title": "Curator", f"q{question.id}": "Vegetarian"}
    )
    assert answered.status_code == 303
    async with database.session() as db:
        registration = (await db.exec(select(Registration))).one()
        [answer] = (await db.exec(select(RegistrationAnswer))).all()
    assert (registration.organisation, registration.job_title, answer.value) == ("", "Curator", "Vegetarian")

    changed = await post(client, f"/{demo_event}/registration/answers", {f"q{question.id}": "Vegan"})
    emptied = await post(client, f"/{demo_event}/registration/answers", {f"q{question.id}": ""})

    assert changed.status_code == 303
    assert emptied.status_code == 400
    assert page(emptied).xpath(f"//p[@id='reg-q{question.id}-error']/text()") == ["Please answer this question."]
    await staff_client(client, database, event)
    dashboard = page(await client.get(f"/{demo_event}/organiser"))
    assert dashboard.xpath(f"//td[@data-question='{question.id}']/text()") == ["Vegan"]
    exported = (await client.get(f"/{demo_event}/organiser/registrations.csv")).text.lstrip("\ufeff")
    [row] = list(csv.DictReader(io.StringIO(exported)))
    assert row["Dietary needs"] == "Vegan"


async def test_questions_read_in_the_delegates_language_with_the_first_as_fallback(client, database, demo_event):
    async with database.session() as db:
        event = await get_event(db, slug=demo_event)
    question = await add_question(
        database,
        event,
        kind="choice",
        label={"en": "Meal", "zh": "餐食"},
        help={"en": "For the dinner on the first day."},
        options=[{"en": "Fish", "zh": "鱼"}, {"en": "Vegetables"}],
    )

    chinese = page(await client.get(f"/{demo_event}/register?lang=zh-Hans"))
    english = page(await client.get(f"/{demo_event}/register?lang=en"))

    assert chinese.xpath(f"//label[@for='reg-q{question.id}']/text()") == ["餐食"]
    assert chinese.xpath(f"//p[@id='reg-q{question.id}-hint']/text()") == ["For the dinner on the first day."]
    assert chinese.xpath(f"//select[@name='q{question.id}']/option[@value]/text()")[1:] == ["鱼", "Vegetables"]
    assert english.xpath(f"//select[@name='q{question.id}']/option/@value")[1:] == ["Fish", "Vegetables"]


async def test_approval_pending_then_approved_or_rejected_with_mail(client, database, demo_event):
    event = await organiser(database, demo_event)
    await configure(database, event, requires_approval=True, confirmation_text={"en": "See you in Beijing."})
    for email in ("approve@example.org", "reject@example.org"):
        assert (await register_signed_in(client, database, demo_event, email)).status_code == 303
    mine = await client.get(f"/{demo_event}/registration")
    badge = await client.get(f"/{demo_event}/badge")
    pick = await post(client, f"/{demo_event}/sessions/SD-1/pick")
    refused_pick = await client.get(pick.headers["location"])  # back on the pick page, with the reason
    participants = await client.get(f"/{demo_event}/participants")  # the delegate role comes with approval
    async with database.session() as db:
        ids = {row.email: row.id for row in (await db.exec(select(Registration))).all()}

    await signed_in_as(client, database, ORGANISER)
    listed = page(await client.get(f"/{demo_event}/organiser"))
    approved = await post(
        client, f"/{demo_event}/organiser/registrations/{ids['approve@example.org']}/approve", {"message": "Welcome!"}
    )
    rejected = await post(
        client,
        f"/{demo_event}/organiser/registrations/{ids['reject@example.org']}/reject",
        {"message": "The hall is for members."},
    )
    again = await post(client, f"/{demo_event}/organiser/registrations/{ids['reject@example.org']}/approve")

    assert text_of(mine, "message-warning").startswith("Your registration waits for the organisers' approval")
    assert (badge.status_code, pick.status_code, participants.status_code) == (409, 303, 404)
    assert "waits for the organisers' approval" in text_of(refused_pick, "notice-message")
    assert len(listed.xpath("//form[contains(@class, 'decide-form')]")) == 2
    assert (approved.status_code, rejected.status_code, again.status_code) == (303, 303, 409)
    assert await status_of(database, "approve@example.org") == "confirmed"
    assert await status_of(database, "reject@example.org") == "rejected"
    subject, body = (await mails_to(database, "approve@example.org"))[-1]
    assert subject == "Registration confirmed: Asian Dialogue for Cultural Heritage Conservation"
    assert "See you in Beijing." in body and "Welcome!" in body
    subject, body = (await mails_to(database, "reject@example.org"))[-1]
    assert subject == "Registration declined: Asian Dialogue for Cultural Heritage Conservation"
    assert "The hall is for members." in body
    async with database.session() as db:
        actions = (await db.exec(select(AuditEntry.action).order_by(col(AuditEntry.id)))).all()
    assert actions == ["registration.approve", "registration.reject"]
    await signed_in_as(client, database, "approve@example.org")
    assert (await client.get(f"/{demo_event}/badge")).status_code == 200
    assert (await client.get(f"/{demo_event}/participants")).status_code == 200


async def test_bad_input_is_shown_again_with_messages(client, database, demo_event):
    await organiser(database, demo_event)
    await signed_in_as(client, database, ORGANISER)
    url = f"/{demo_event}/organiser/registration"

    nul = await post(client, url, {**DEFAULTS, "version": "0", "confirmation_en": "Bring\x00 it"})
    huge = await post(client, url, {**DEFAULTS, "version": "0", "onsite_limit": "99999999999999999999"})
    backwards = await post(
        client, url, {**DEFAULTS, "version": "0", "opens_at": "2021-10-01T09:00", "closes_at": "2021-09-01T09:00"}
    )
    long_label = await post(
        client, f"/{demo_event}/organiser/registration/questions", {"kind": "text", "label_en": "x" * 201}
    )
    no_options = await post(
        client, f"/{demo_event}/organiser/registration/questions", {"kind": "choice", "label_en": "Meal"}
    )

    assert (nul.status_code, error_message(nul)) == (
        400,
        "The form contains characters Podium cannot accept, such as a NUL byte.",
    )
    assert page(nul).xpath("//textarea[@name='confirmation_en']/text()") == ["Bring it"]
    assert huge.status_code == 400
    assert (
        page(huge).xpath("//p[@id='onsite_limit-error']/text()")[0].startswith("Please give a whole number from 0 to")
    )
    assert page(backwards).xpath("//p[@id='closes_at-error']/text()") == ["Registration must close after it opens."]
    assert long_label.status_code == 400
    assert page(long_label).xpath("//p[@id='label_en-error']/text()") == [
        "The label is too long (200 characters at most)."
    ]
    assert page(no_options).xpath("//p[@id='options_en-error']/text()") == ["Please give the options, one a line."]
    async with database.session() as db:
        assert (await db.exec(select(RegistrationSettings))).all() == []
        assert (await db.exec(select(RegistrationQuestion))).all() == []


async def test_questions_are_created_edited_and_deleted_with_audit_entries(client, database, demo_event):
    await organiser(database, demo_event)
    await signed_in_as(client, database, ORGANISER)

    created = await post(
        client,
        f"/{demo_event}/organiser/registration/questions",
        {
            "kind": "choice",
            "label_en": "Meal",
            "label_zh": "餐食",
            "options_en": "Fish\nVegetables",
            "options_zh": "鱼\n蔬菜",
            "required": "yes",
        },
    )
    async with database.session() as db:
        question = (await db.exec(select(RegistrationQuestion))).one()
    edit_url = f"/{demo_event}/organiser/registration/questions/{question.id}"
    form = page(await client.get(edit_url))
    updated = await post(
        client, edit_url, {"kind": "choice", "label_en": "Dinner", "options_en": "Fish\nVegetables", "version": "1"}
    )
    stale = await post(client, edit_url, {"kind": "choice", "label_en": "Lunch", "options_en": "Fish", "version": "1"})
    deleted = await post(client, f"{edit_url}/delete")

    assert (created.status_code, updated.status_code, stale.status_code, deleted.status_code) == (303, 303, 409, 303)
    assert question.options == [{"en": "Fish", "zh": "鱼"}, {"en": "Vegetables", "zh": "蔬菜"}]
    assert form.xpath("//textarea[@name='options_zh']/text()") == ["鱼\n蔬菜"]
    assert page(stale).xpath("//input[@name='label_en']/@value") == ["Dinner"]
    async with database.session() as db:
        assert (await db.exec(select(RegistrationQuestion))).all() == []
        actions = (await db.exec(select(AuditEntry.action).order_by(col(AuditEntry.id)))).all()
    assert actions == ["question.create", "question.update", "question.delete"]


async def test_new_routes_are_not_found_for_others_and_for_another_events_question(client, database, demo_event):
    event = await organiser(database, demo_event)
    async with database.session() as db:
        [delegate] = await delegates(db, event, 1)
        other, _session = await other_event(db)
        foreign = RegistrationQuestion(event_id=other.id, kind="text", label={"en": "Elsewhere"})
        db.add(foreign)
        await db.commit()
        await db.refresh(foreign)
        registration = (await db.exec(select(Registration))).one()
    base = f"/{demo_event}/organiser"
    gets = [f"{base}/registration", f"{base}/registration/questions/new", f"{base}/registration/questions/{foreign.id}"]
    posts = [
        f"{base}/registration",
        f"{base}/registration/questions",
        f"{base}/registration/questions/{foreign.id}",
        f"{base}/registration/questions/{foreign.id}/delete",
        f"{base}/registrations/{registration.id}/approve",
        f"{base}/registrations/{registration.id}/reject",
    ]
    for who in (None, delegate.email):
        client.cookies.clear()
        if who:
            await signed_in_as(client, database, who)
        # Signed out, a page asks to sign in first; signed in without the role, it is not found.
        assert [(await client.get(url)).status_code for url in gets] == [303 if who is None else 404] * 3
        assert [(await post(client, url, {"version": "0"})).status_code for url in posts] == [404] * 6

    await signed_in_as(client, database, ORGANISER)
    foreign_edit = await client.get(gets[2])
    foreign_delete = await post(client, posts[3])
    assert (foreign_edit.status_code, foreign_delete.status_code) == (404, 404)
    async with database.session() as db:
        assert (await db.get_one(RegistrationQuestion, foreign.id)).label == {"en": "Elsewhere"}


async def test_a_change_of_mode_or_a_removal_frees_a_place_and_a_full_mode_is_refused(client, database, demo_event):
    event = await organiser(database, demo_event)
    await configure(database, event, onsite_limit=1, online_limit=1)
    people = ["moving@example.org", "waiting@example.org", "later@example.org"]
    for email in people:
        assert (await register_signed_in(client, database, demo_event, email)).status_code == 303

    await signed_in_as(client, database, people[0])
    moved = await post(client, f"/{demo_event}/registration/attendance", {"attendance": "online"})
    await signed_in_as(client, database, people[1])
    full = await post(client, f"/{demo_event}/registration/attendance", {"attendance": "online"})
    refused = await client.get(full.headers["location"])  # back on the registration page, with the reason

    assert (moved.status_code, full.status_code) == (303, 303)
    assert text_of(refused, "notice-message") == "Every online place is taken: you keep your registration as it is."
    assert [await status_of(database, email) for email in people] == ["confirmed", "confirmed", "waitlisted"]
    assert (await mails_to(database, people[1]))[-1][0].startswith("A place is yours")

    async with database.session() as db:
        promoted = (await db.exec(select(Registration).where(Registration.email == people[1]))).one()
    await signed_in_as(client, database, ORGANISER)
    removed = await post(client, f"/{demo_event}/organiser/people/{promoted.account_id}/remove")

    assert removed.status_code == 303
    assert [await status_of(database, email) for email in people] == ["confirmed", "cancelled", "confirmed"]
    assert (await mails_to(database, people[2]))[-1][0].startswith("A place is yours")


async def test_a_registration_confirmed_by_the_mailed_link_joins_the_waitlist_and_is_told(client, database, demo_event):
    async with database.session() as db:
        event = await get_event(db, slug=demo_event)
    await configure(database, event, online_limit=0)
    registered = await post(
        client, f"/{demo_event}/register", {**FORM, "email": "link@example.org", "attendance": "online"}
    )
    link = await last_link(database, "link@example.org")

    confirmed = await post(client, link)

    assert (registered.status_code, confirmed.status_code) == (303, 303)
    assert await status_of(database, "link@example.org") == "waitlisted"
    subject, body = (await mails_to(database, "link@example.org"))[-1]
    assert subject == "On the waitlist: Asian Dialogue for Cultural Heritage Conservation"
    assert "number 1" in body
