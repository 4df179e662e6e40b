"""Releasing the programme: drafts go public everywhere at once (pages, cached pages, frab, iCalendar), the
delegates holding a changed session get one mail each in their language, cancellations keep their page and free
their picks; and the editor's addresses are "not found" to everyone but the event's organisers."""

from __future__ import annotations

import re

import lxml.etree
import pytest
from sqlmodel import col, select

from server.accounts.models import Role
from server.audit.models import AuditEntry
from server.events.services import get_event
from server.mail.models import OutboxMail
from server.organising.models import ProgrammeRelease, SessionDraft
from server.registration.models import Registration, SessionChoice
from server.registration.seats import pick_session
from tests.support.factories import ONLINE, delegates, other_event, session_with_capacity, sessions_of, staff
from tests.support.html import page
from tests.support.http import signed_in_as
from tests.support.programme import editor, send, session_form

pytestmark = [pytest.mark.integration, pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)]

ORGANISER = "organiser@example.org"


async def _change_mails(database) -> list[OutboxMail]:
    async with database.session() as db:
        subjects = col(OutboxMail.subject).startswith("Programme changes") | col(OutboxMail.subject).startswith(
            "日程变更"
        )
        query = select(OutboxMail).where(subjects)
        return list((await db.exec(query.order_by(col(OutboxMail.recipient)))).all())


async def _release(client, slug: str):
    return await send(client, editor(slug, "/release"), {})


async def test_release_shows_the_new_values_everywhere_and_never_the_cached_agenda(organiser, database, demo_event):
    values = await session_form(organiser, demo_event, "OPEN")
    agenda_before = await organiser.get(f"/{demo_event}/")
    await send(organiser, editor(demo_event, "/sessions/OPEN"), {**values, "title": "Opening, later", "start": "10:00"})

    agenda_unreleased = await organiser.get(f"/{demo_event}/")
    page_unreleased = await organiser.get(f"/{demo_event}/sessions/OPEN")
    frab_unreleased = (await organiser.get(f"/{demo_event}/schedule.json")).json()
    released = await _release(organiser, demo_event)
    agenda_after = await organiser.get(f"/{demo_event}/")
    page_after = await organiser.get(f"/{demo_event}/sessions/OPEN")
    frab_json = (await organiser.get(f"/{demo_event}/schedule.json")).json()
    frab_xml = lxml.etree.fromstring((await organiser.get(f"/{demo_event}/schedule.xml")).content)
    ics = (await organiser.get(f"/{demo_event}/sessions/OPEN.ics")).text

    assert "Opening Ceremony" in agenda_before.text and "Opening, later" not in agenda_unreleased.text
    assert "Opening, later" not in page_unreleased.text
    assert frab_unreleased["schedule"]["version"] == "release 1"
    assert (released.status_code, released.headers["location"]) == (
        303,
        f"/{demo_event}/organiser/programme/release?released=2",
    )
    assert "Opening, later" in agenda_after.text and "Opening Ceremony / 开幕式" not in agenda_after.text
    assert page(page_after).xpath("//h1/text()") == ["Opening, later"]
    assert page(page_after).xpath("//dd/time/@datetime")[0].startswith("2021-10-27T10:00:00+08:00")
    assert frab_json["schedule"]["version"] == "release 2"
    assert frab_xml.xpath("//version/text()") == ["release 2"]
    assert "SEQUENCE:1" in ics and "DTSTART;TZID=Asia/Shanghai:20211027T100000" in ics and "LAST-MODIFIED:" in ics
    async with database.session() as db:
        assert (await db.exec(select(SessionDraft))).all() == []
        release = (await db.exec(select(ProgrammeRelease))).one()
    assert (release.number, [change["kinds"] for change in release.changes]) == (2, [["moved", "details"]])
    history = page(await organiser.get(editor(demo_event, "/release")))
    assert history.xpath("//article[@data-release='2']//ul[@data-kind='moved']/li/@data-session") == ["OPEN"]


async def test_the_change_mail_reaches_exactly_the_holders_once_each_in_their_language(organiser, database, demo_event):
    async with database.session() as db:
        event = await get_event(db, slug=demo_event)
        first, second, third = await delegates(db, event, 3, attendance=ONLINE)
        chinese = (await db.exec(select(Registration).where(Registration.account_id == second.id))).one()
        chinese.language = "zh-Hans"
        db.add(chinese)
        await db.commit()
        sessions = [session for session in await sessions_of(db, event) if session.kind != "break"]
    changed_a, changed_b, unchanged = sessions[1], sessions[2], sessions[3]
    for account, session in ((first, changed_a), (first, changed_b), (second, changed_a), (third, unchanged)):
        async with database.session() as db:
            await pick_session(db, event=event, account=account, session_id=session.id or 0)
    for session, change in ((changed_a, {"start": "16:00"}), (changed_b, {"title": "Renamed panel"})):
        values = await session_form(organiser, demo_event, session.code)
        assert (
            await send(organiser, editor(demo_event, f"/sessions/{session.code}"), {**values, **change})
        ).status_code == 303

    preview = page(await organiser.get(editor(demo_event, "/release")))
    released = await _release(organiser, demo_event)

    assert preview.xpath("normalize-space(//p[@class='mail-count'])").startswith("2 delegates will get a mail")
    assert released.status_code == 303
    mails = await _change_mails(database)
    assert [mail.recipient for mail in mails] == [first.email, second.email]
    english, chinese_mail = mails
    assert changed_a.title in english.body and "Renamed panel" in english.body and "Room: " in english.body
    assert english.subject.startswith("Programme changes: ") and chinese_mail.subject.startswith("日程变更：")
    assert "会场: " in chinese_mail.body and "时间: " in chinese_mail.body and "Renamed panel" not in chinese_mail.body
    assert f"/{demo_event}/sessions/{changed_a.code}" in chinese_mail.body
    # The new time in the recipient's language, 24-hour, in the event's zone: as the agenda shows it.
    assert re.search(r"\n  时间: 2021年10月27日 16:00–\d\d:\d\d \(Asia/Shanghai\)\n", chinese_mail.body)
    assert re.search(r"\n  Time: Oct 27, 2021, 09:\d\d–\d\d:\d\d \(Asia/Shanghai\)\n", english.body)


async def test_a_cancelled_session_keeps_its_page_marked_and_frees_its_picks_with_a_mail(
    organiser, database, demo_event
):
    async with database.session() as db:
        event = await get_event(db, slug=demo_event)
        session = await session_with_capacity(db, event, 1)
        seated, waiting = await delegates(db, event, 2)
    for account in (seated, waiting):
        async with database.session() as db:
            await pick_session(db, event=event, account=account, session_id=session.id or 0)
    values = await session_form(organiser, demo_event, session.code)
    cancelled = await send(
        organiser, editor(demo_event, f"/sessions/{session.code}/cancel"), {"version": values["version"]}
    )
    preview = page(await organiser.get(editor(demo_event, "/release")))

    released = await _release(organiser, demo_event)

    assert cancelled.status_code == 303
    assert preview.xpath("//ul[@data-kind='cancelled']/li/@data-session") == [session.code]
    assert released.status_code == 303
    public = await organiser.get(f"/{demo_event}/sessions/{session.code}")
    assert public.status_code == 200
    assert page(public).xpath("normalize-space(//p[@class='session-cancelled']/strong)") == "Cancelled"
    agenda = page(await organiser.get(f"/{demo_event}/"))
    assert agenda.xpath(
        f"//article[contains(@class, 'card-cancelled')]//a[contains(@href, '/sessions/{session.code}')]"
    )
    frab = (await organiser.get(f"/{demo_event}/schedule.json")).json()
    codes = [
        talk["slug"]
        for day in frab["schedule"]["conference"]["days"]
        for talks in day["rooms"].values()
        for talk in talks
    ]
    assert not any(session.code.lower() in code for code in codes)
    feed = (await organiser.get(f"/{demo_event}/schedule.ics")).text
    assert "STATUS:CANCELLED" in feed
    async with database.session() as db:
        picks = (await db.exec(select(SessionChoice).where(SessionChoice.session_id == session.id))).all()
        seat_mails = (
            await db.exec(select(OutboxMail).where(col(OutboxMail.subject).startswith("A seat is yours")))
        ).all()
    assert picks == []
    assert seat_mails == []  # the waitlist is dropped, not promoted
    mails = await _change_mails(database)
    assert sorted(mail.recipient for mail in mails) == sorted([seated.email, waiting.email])
    assert all("Cancelled" in mail.body and "seat you held is released" in mail.body for mail in mails)
    async with database.session() as db:
        with pytest.raises(Exception, match="cancelled"):
            await pick_session(db, event=event, account=seated, session_id=session.id or 0)


async def test_a_new_session_goes_public_with_the_release(organiser, database, demo_event):
    values = await session_form(organiser, demo_event, "OPEN")
    created = await send(
        organiser, editor(demo_event, "/new"), {**values, "title": "Evening reception", "start": "19:00"}
    )
    assert (await organiser.get(f"/{demo_event}/sessions/evening-reception")).status_code == 404

    await _release(organiser, demo_event)

    assert created.status_code == 303
    public = await organiser.get(f"/{demo_event}/sessions/evening-reception")
    assert page(public).xpath("//h1/text()") == ["Evening reception"]


async def test_releasing_nothing_is_refused_with_a_message(organiser, database, demo_event):
    response = await _release(organiser, demo_event)

    assert response.status_code == 400
    assert "There are no changes to release." in response.text


ROUTES = [
    ("GET", ""),
    ("GET", "/list"),
    ("POST", "/bulk"),
    ("GET", "/new"),
    ("POST", "/new"),
    ("GET", "/release"),
    ("POST", "/release"),
    ("GET", "/sessions/OPEN"),
    ("POST", "/sessions/OPEN"),
    ("GET", "/sessions/OPEN/move"),
    ("POST", "/sessions/OPEN/move"),
    ("POST", "/sessions/OPEN/cancel"),
    ("POST", "/sessions/OPEN/discard"),
]


@pytest.mark.parametrize("role", [None, "delegate", Role.speaker, Role.moderator, "other-organiser"])
async def test_everyone_but_the_events_organisers_gets_not_found(client, database, demo_event, role):
    async with database.session() as db:
        event = await get_event(db, slug=demo_event)
        if role == "delegate":
            (account,) = await delegates(db, event, 1)
            email = account.email
        elif role == "other-organiser":
            other, _session = await other_event(db)
            email = (await staff(db, other, Role.organiser, "elsewhere@example.org")).email
        elif role is not None:
            email = (await staff(db, event, role, f"{role}@example.org")).email
    if role is not None:
        await signed_in_as(client, database, email)

    statuses = {
        (method, path): (
            await client.get(editor(demo_event, path))
            if method == "GET"
            else await send(client, editor(demo_event, path), {})
        ).status_code
        for method, path in ROUTES
    }

    # Signed out, a page asks to sign in first; signed in without the role, everything is not found.
    assert statuses == {(method, path): 303 if role is None and method == "GET" else 404 for method, path in ROUTES}
    async with database.session() as db:
        assert (await db.exec(select(SessionDraft))).all() == []


async def test_another_events_session_is_not_found_to_an_organiser(organiser, database, demo_event):
    async with database.session() as db:
        _other, session = await other_event(db)
    paths = [f"/sessions/{session.code}", f"/sessions/{session.code}/move"]

    answers = [(await organiser.get(editor(demo_event, path))).status_code for path in paths]
    posts = [
        (await send(organiser, editor(demo_event, f"/sessions/{session.code}{action}"), {"version": "1"})).status_code
        for action in ("", "/move", "/cancel", "/discard")
    ]

    assert answers == [404, 404]
    assert posts == [404, 404, 404, 404]
    async with database.session() as db:
        assert (await db.exec(select(SessionDraft))).all() == []


async def test_more_seats_at_a_release_move_the_waitlist_up(organiser, database, demo_event):
    async with database.session() as db:
        event = await get_event(db, slug=demo_event)
        session = await session_with_capacity(db, event, 1)
        seated, waiting = await delegates(db, event, 2)
    for account in (seated, waiting):
        async with database.session() as db:
            await pick_session(db, event=event, account=account, session_id=session.id or 0)
    values = await session_form(organiser, demo_event, session.code)
    await send(organiser, editor(demo_event, f"/sessions/{session.code}"), {**values, "capacity": "2"})

    released = await _release(organiser, demo_event)

    assert released.status_code == 303
    async with database.session() as db:
        statuses = (await db.exec(select(SessionChoice.status).where(SessionChoice.session_id == session.id))).all()
        promoted = (
            await db.exec(select(OutboxMail.recipient).where(col(OutboxMail.subject).startswith("A seat")))
        ).all()
        actions = (await db.exec(select(AuditEntry.action).order_by(col(AuditEntry.id)))).all()
    assert sorted(statuses) == ["confirmed", "confirmed"]
    assert promoted == [waiting.email]
    assert await _change_mails(database) == []  # more seats change nothing in anyone's agenda
    assert actions == ["session.update", "release.publish"]


async def test_seats_taken_after_the_capacity_was_lowered_stop_the_release_with_the_count(
    organiser, database, demo_event
):
    async with database.session() as db:
        event = await get_event(db, slug=demo_event)
        session = await session_with_capacity(db, event, 5)
        early, *late = await delegates(db, event, 3)
    async with database.session() as db:
        await pick_session(db, event=event, account=early, session_id=session.id or 0)
    values = await session_form(organiser, demo_event, session.code)
    lowered = await send(organiser, editor(demo_event, f"/sessions/{session.code}"), {**values, "capacity": "2"})
    for account in late:  # the public session still offers five seats
        async with database.session() as db:
            await pick_session(db, event=event, account=account, session_id=session.id or 0)

    refused = await _release(organiser, demo_event)

    assert lowered.status_code == 303
    assert refused.status_code == 400
    assert f"“{session.title}” (3)" in page(refused).xpath("normalize-space(//p[contains(@class, 'message-error')])")
    async with database.session() as db:
        assert (await db.exec(select(ProgrammeRelease))).all() == []
        assert len((await db.exec(select(SessionDraft))).all()) == 1
