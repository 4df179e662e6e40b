"""Organisers type the programme's texts in the event's other languages in the browser's forms (a tab per language):
rooms, tracks and kinds, the event form, and (tests/programme/test_translated_texts.py) the session form. Readers in that language see them; the default shows
where none is given; bad input comes back beside its field and stores nothing; edit versions keep working."""

from __future__ import annotations

import pytest
from sqlmodel import col, select

from server.accounts.models import Role
from server.agenda.models import Room, Session
from server.events.services import get_event
from server.mail.models import OutboxMail
from server.organising.models import SessionDraft
from server.registration.models import Registration
from server.registration.seats import pick_session
from tests.support.event_forms import event_form, send_event_form
from tests.support.factories import ONLINE, delegates, staff
from tests.support.html import page
from tests.support.http import client_maker, post, signed_in_as
from tests.support.programme import editor, send, session_form

pytestmark = [pytest.mark.integration, pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)]

ORGANISER = "organiser@example.org"


@pytest.fixture
async def organiser(client, database, demo_event):
    """The event's organiser signed in; the event is held in English, Chinese and Japanese."""
    async with database.session() as db:
        event = await get_event(db, slug=demo_event)
        event.languages = "en,zh,ja"
        db.add(event)
        await db.commit()
        await staff(db, await get_event(db, slug=demo_event), Role.organiser, ORGANISER)
    await signed_in_as(client, database, ORGANISER)
    return client


async def _session(database, code: str) -> Session:
    async with database.session() as db:
        return (await db.exec(select(Session).where(Session.code == code))).one()


async def _room(database, slug: str) -> Room:
    async with database.session() as db:
        return (await db.exec(select(Room).where(Room.slug == slug))).one()


async def test_a_translation_alone_makes_a_draft_and_clearing_it_falls_back(organiser, database, demo_event):
    values = await session_form(organiser, demo_event, "OPEN")

    await send(organiser, editor(demo_event, "/sessions/OPEN"), {**values, "abstract__zh": "开幕式的介绍。"})
    preview = await organiser.get(editor(demo_event, "/release"))
    again = await session_form(organiser, demo_event, "OPEN")
    await send(organiser, editor(demo_event, "/sessions/OPEN"), {**again, "abstract__zh": "  "})

    assert "OPEN" in page(preview).xpath("//ul[@data-kind='details']/li/@data-session")
    async with database.session() as db:
        assert (await db.exec(select(SessionDraft))).all() == []  # back at the released values: no draft left


async def test_a_room_named_in_japanese_shows_on_the_japanese_agenda_and_versions_still_hold(
    organiser, database, demo_event
):
    jade = await _room(database, "jade-room")
    path = f"/{demo_event}/organiser/programme-parts/room/{jade.id}"
    form = page(await organiser.get(path))
    fields = {"name": jade.name, "slug": jade.slug, "capacity": str(jade.capacity), "version": str(jade.version)}

    saved = await post(organiser, path, {**fields, "name__ja": "翡翠の間", "description__ja": "二階"})
    stale = await post(organiser, path, {**fields, "name__ja": "古い名前"})  # the version read before the save
    agenda_ja = page(await organiser.get(f"/{demo_event}/?lang=ja"))
    agenda_en = page(await organiser.get(f"/{demo_event}/?lang=en"))
    reopened = page(await organiser.get(path))

    assert form.xpath("//input[@name='name__ja']/@value") == [""]
    assert form.xpath("//textarea[@name='description__zh']")
    assert (saved.status_code, stale.status_code) == (303, 409)
    assert (await _room(database, "jade-room")).translations == {"ja": {"name": "翡翠の間", "description": "二階"}}
    assert "翡翠の間" in agenda_ja.xpath("//select[@id='filter-room']/option/text()")
    assert jade.name not in agenda_ja.xpath("//select[@id='filter-room']/option/text()")
    assert jade.name in agenda_en.xpath("//select[@id='filter-room']/option/text()")
    assert reopened.xpath("//input[@name='name__ja']/@value") == ["翡翠の間"]


async def test_a_bad_track_translation_is_refused_beside_its_field(organiser, database, demo_event):
    response = await post(
        organiser,
        f"/{demo_event}/organiser/programme-parts/track/new",
        {"name": "Heritage", "slug": "heritage-2", "color": "#2f855a", "name__zh": "遗" * 201},
    )

    assert response.status_code == 400
    assert page(response).xpath("//p[@id='part-name-zh-error']/text()") == [
        "The translation of 'name' into 'zh' is longer than 200 characters."
    ]


async def test_the_event_form_saves_its_texts_per_language_and_the_default_stays_required(
    organiser, database, demo_event
):
    opened = page(await organiser.get(f"/{demo_event}/organiser/event"))
    version = opened.xpath("//input[@name='edit_version']/@value")[0]
    base = event_form(languages=["en", "zh", "ja"], edit_version=version)

    missing = await send_event_form(
        organiser, f"/{demo_event}/organiser/event", {**base, "title": "", "title__ja": "対話"}
    )
    nul = await send_event_form(organiser, f"/{demo_event}/organiser/event", {**base, "venue__zh": "会\x00场"})
    saved = await send_event_form(
        organiser,
        f"/{demo_event}/organiser/event",
        {**base, "title__ja": "アジア対話 2027", "venue__ja": "会議センター", "description__zh": ""},
    )
    async with database.session() as db:
        event = await get_event(db, slug=demo_event)
    agenda_ja = page(await organiser.get(f"/{demo_event}/?lang=ja"))

    assert opened.xpath("//input[@name='title__ja']") and opened.xpath("//textarea[@name='description__zh']")
    assert missing.status_code == 400
    assert page(missing).xpath("//p[@id='event-title-error']/text()") == ["Please fill this in."]
    assert nul.status_code == 400
    assert saved.status_code == 303
    assert event.translations == {"ja": {"title": "アジア対話 2027", "venue": "会議センター"}}
    assert event.title == "Asian Dialogue Forum 2027"
    assert "アジア対話 2027" in agenda_ja.xpath("//title/text()")[0]


async def test_the_release_mail_names_the_session_in_each_delegates_language(organiser, database, demo_event):
    async with database.session() as db:
        event = await get_event(db, slug=demo_event)
        english, chinese = await delegates(db, event, 2, attendance=ONLINE)
        registration = (await db.exec(select(Registration).where(Registration.account_id == chinese.id))).one()
        registration.language = "zh-Hans"
        db.add(registration)
        await db.commit()
        opening = await _session(database, "OPEN")
        for account in (english, chinese):
            await pick_session(db, event=event, account=account, session_id=opening.id or 0)
    values = await session_form(organiser, demo_event, "OPEN")
    await send(organiser, editor(demo_event, "/sessions/OPEN"), {**values, "title__zh": "开幕典礼", "start": "08:30"})

    released = await send(organiser, editor(demo_event, "/release"), {})

    async with database.session() as db:
        mails = {
            mail.recipient: mail.body
            for mail in (
                await db.exec(select(OutboxMail).where(col(OutboxMail.recipient).in_([english.email, chinese.email])))
            ).all()
        }
    assert released.status_code == 303
    assert "“开幕典礼”" in mails[chinese.email] and opening.title not in mails[chinese.email]
    assert f"“{opening.title}”" in mails[english.email] and "开幕典礼" not in mails[english.email]


async def test_a_stale_save_of_a_translation_is_refused_showing_the_others_text(
    organiser, database, demo_event, settings
):
    async with database.session() as db:
        await staff(db, await get_event(db, slug=demo_event), Role.organiser, "second@example.org")
    async with client_maker(settings, database)() as second:
        await signed_in_as(second, database, "second@example.org")
        mine = await session_form(organiser, demo_event, "OPEN")
        theirs = await session_form(second, demo_event, "OPEN")

        first = await send(organiser, editor(demo_event, "/sessions/OPEN"), {**mine, "title__ja": "最初の題"})
        refused = await send(second, editor(demo_event, "/sessions/OPEN"), {**theirs, "title__ja": "二番目の題"})

    shown = page(refused)
    assert (first.status_code, refused.status_code) == (303, 409)
    assert shown.xpath("//input[@name='title__ja']/@value") == ["二番目の題"]
    assert shown.xpath("//p[@data-field='title__ja']/span[@class='theirs-value']/text()") == ["最初の題"]
    async with database.session() as db:
        assert [draft.translations for draft in (await db.exec(select(SessionDraft))).all()] == [
            {"ja": {"title": "最初の題"}}
        ]
