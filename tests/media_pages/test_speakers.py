"""Organisers link agenda speakers to accounts by email; a linked speaker reaches the studio of their own sessions."""

from __future__ import annotations

import httpx
import pytest
from lxml import html as lxml_html
from sqlmodel import col, select

from server.accounts.models import Account, EventRole, Role
from server.agenda.interchange import DEMO_EVENT_FILE, dump_event_file, export_event
from server.agenda.models import Person as Speaker
from server.agenda.models import Session, SessionSpeaker
from server.app import site_urls
from server.db import Database
from server.demo import DEMO_ACCOUNTS, DEMO_SPEAKER_PERSON, load_demo
from server.events.services import get_event
from server.i18n import localised
from tests.support.http import as_person, csrf, sign_in
from tests.support.speaker_stage import Stage

pytestmark = pytest.mark.integration

# Signed out (None), the page asks to sign in first.
PAGE = {"organiser": 200, "moderator": 404, "speaker": 404, "delegate": 404, "other_moderator": 404, None: 303}


async def speakers_of(database: Database, session: Session) -> list[Speaker]:
    async with database.session() as db:
        rows = await db.exec(
            select(Speaker)
            .join(SessionSpeaker, col(SessionSpeaker.person_id) == Speaker.id)
            .where(SessionSpeaker.session_id == session.id)
            .order_by(col(SessionSpeaker.position))
        )
        return list(rows.all())


async def a_session_without(database: Database, stage: Stage, speaker: Speaker) -> Session:
    """Another session of the event in which ``speaker`` does not speak."""
    async with database.session() as db:
        spoken = select(SessionSpeaker.session_id).where(SessionSpeaker.person_id == speaker.id)
        rows = await db.exec(
            select(Session).where(Session.event_id == stage.event.id, col(Session.id).not_in(spoken)).limit(1)
        )
        return rows.one()


async def link(web: httpx.AsyncClient, stage: Stage, speaker: Speaker, email: str) -> httpx.Response:
    path = f"/{stage.event.slug}/organiser/speakers/{speaker.id}/link"
    return await web.post(path, data={"csrf_token": await csrf(web), "email": email})


async def linked_email(database: Database, speaker: Speaker) -> str | None:
    async with database.session() as db:
        found = await db.get_one(Speaker, speaker.id, populate_existing=True)
        account = await db.get(Account, found.account_id) if found.account_id else None
        return account.email if account else None


@pytest.mark.parametrize("who", list(PAGE))
async def test_speakers_page_is_for_organisers(web: httpx.AsyncClient, stage: Stage, who: str | None) -> None:
    response = await as_person(web, stage.people[who] if who else None).get(f"/{stage.event.slug}/organiser/speakers")

    assert response.status_code == PAGE[who]
    if who == "organiser":
        rows = lxml_html.fromstring(response.text).xpath("//tr[@data-person]")
        linked = {row.get("data-person"): row.xpath("./td[@data-linked]/@data-linked")[0] for row in rows}
        assert linked[stage.speakers[0].slug] == stage.people["speaker"].account.email
        assert response.headers["cache-control"] == "private, no-store"


async def test_linking_a_new_email_makes_an_account_that_signs_in_to_its_studio_only(
    web: httpx.AsyncClient, stage: Stage, database: Database
) -> None:
    speaker = stage.speakers[1]
    elsewhere = await a_session_without(database, stage, speaker)

    linked = await link(as_person(web, stage.people["organiser"]), stage, speaker, "  New.Speaker@Example.org ")
    as_person(web, None)
    await sign_in(web, database, "new.speaker@example.org")
    own = await web.get(stage.path("studio"))
    other = await web.get(stage.path("studio", session=elsewhere))

    assert linked.status_code == 303
    assert (own.status_code, other.status_code) == (200, 404)
    async with database.session() as db:
        account = (await db.exec(select(Account).where(Account.email == "new.speaker@example.org"))).one()
        roles = (await db.exec(select(EventRole.role).where(EventRole.account_id == account.id))).all()
    assert (account.name, list(roles)) == (speaker.name, [Role.speaker])


async def test_linking_an_existing_account_lets_it_into_the_studio(
    web: httpx.AsyncClient, stage: Stage, database: Database
) -> None:
    delegate = stage.people["delegate"]
    before = await as_person(web, delegate).get(stage.path("studio"))

    linked = await link(as_person(web, stage.people["organiser"]), stage, stage.speakers[1], delegate.account.email)
    after = await as_person(web, delegate).get(stage.path("studio"))

    assert (before.status_code, linked.status_code, after.status_code) == (404, 303, 200)
    async with database.session() as db:
        accounts = (await db.exec(select(Account).where(Account.email == delegate.account.email))).all()
    assert len(accounts) == 1


async def test_unlinking_closes_the_studio(web: httpx.AsyncClient, stage: Stage, database: Database) -> None:
    path = f"/{stage.event.slug}/organiser/speakers/{stage.speakers[0].id}/unlink"

    unlinked = await as_person(web, stage.people["organiser"]).post(path, data={"csrf_token": await csrf(web)})
    studio = await as_person(web, stage.people["speaker"]).get(stage.path("studio"))

    assert (unlinked.status_code, studio.status_code) == (303, 404)
    assert await linked_email(database, stage.speakers[0]) is None


async def test_linking_refuses_a_bad_email_a_missing_csrf_token_and_another_events_speaker(
    web: httpx.AsyncClient, stage: Stage, database: Database
) -> None:
    speaker = stage.speakers[1]
    as_person(web, stage.people["organiser"])
    path = f"/{stage.event.slug}/organiser/speakers/{speaker.id}/link"
    async with database.session() as db:
        theirs = (await db.exec(select(Speaker).where(Speaker.event_id == stage.other_event.id))).first()
    if theirs is None:  # the other event has no speakers yet: give it one
        async with database.session() as db:
            theirs = Speaker(event_id=stage.other_event.id or 0, slug="their-speaker", name="Their Speaker")
            db.add(theirs)
            await db.commit()
            await db.refresh(theirs)

    bad = await link(web, stage, speaker, "not an email")
    forged = await web.post(path, data={"email": "someone@example.org"})
    foreign = await link(web, stage, theirs, "someone@example.org")

    assert (bad.status_code, forged.status_code, foreign.status_code) == (400, 403, 404)
    assert "This is not a valid email address." in bad.text
    assert await linked_email(database, speaker) is None
    assert await linked_email(database, theirs) is None


async def test_the_demo_speaker_opens_their_studio_and_the_demo_exports_unchanged(
    web: httpx.AsyncClient, database: Database
) -> None:
    async with database.session() as db:
        await load_demo(
            db, links=site_urls("http://podium.test"), event_text=DEMO_EVENT_FILE.read_text(encoding="utf-8")
        )
        event = await get_event(db, slug="asian-dialogue-2021")
        exported = dump_event_file(await export_event(db, event=event))
        speaker = (await db.exec(select(Speaker).where(Speaker.slug == DEMO_SPEAKER_PERSON))).one()
        opening = (
            await db.exec(
                select(Session.code)
                .join(SessionSpeaker, col(SessionSpeaker.session_id) == Session.id)
                .where(SessionSpeaker.person_id == speaker.id)
            )
        ).first()

    await sign_in(web, database, DEMO_ACCOUNTS[Role.speaker][0])
    studio = await web.get(f"/{event.slug}/sessions/{opening}/studio")

    assert exported == DEMO_EVENT_FILE.read_text(encoding="utf-8")
    assert studio.status_code == 200


async def test_speakers_page_and_token_controls_speak_simplified_chinese(web: httpx.AsyncClient, stage: Stage) -> None:
    as_person(web, stage.people["organiser"])

    speakers = await web.get(f"/{stage.event.slug}/organiser/speakers", params={"lang": "zh-Hans"})
    console = await web.get(stage.path("moderate"), params={"lang": "zh-Hans"})

    speakers_page = lxml_html.fromstring(speakers.text)
    # The demo event's title has a Chinese value, which a Chinese page shows.
    assert speakers_page.xpath("string(//h1)") == f"{localised(stage.event, 'title', 'zh-Hans')}的演讲人"
    assert speakers_page.xpath("//tr[@data-person][1]//form[contains(@action, '/link')]/button/text()") == ["关联"]
    panel = lxml_html.fromstring(console.text).get_element_by_id("stream-panel")
    assert panel.xpath("string(.//details[@class='stream-rotate']/summary)") == "更换令牌"
    assert panel.xpath(".//button[@data-stream='show-token']/text()") == ["显示"]
