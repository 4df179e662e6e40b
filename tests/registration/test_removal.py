"""An organiser removes a person from their own event (roles end, registration cancelled, seats freed); only
instance admins disable accounts, from their own page."""

from __future__ import annotations

import pytest
from sqlmodel import col, select

from server.accounts.admin import grant_admin
from server.accounts.models import Account, EventRole, Role
from server.app import site_urls
from server.events.services import get_event
from server.mail.models import OutboxMail
from server.registration.models import ChoiceStatus, Registration, RegistrationStatus, SessionChoice
from server.registration.seats import pick_session
from tests.support.factories import delegates, session_with_capacity, staff
from tests.support.html import page
from tests.support.http import post, signed_in_as

pytestmark = [pytest.mark.integration, pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)]


async def test_organiser_removes_a_seated_speaker_and_the_waitlist_moves_up(client, database, demo_event):
    async with database.session() as db:
        event = await get_event(db, slug=demo_event)
        session = await session_with_capacity(db, event, 1)
        seated, waiting = await delegates(db, event, 2)
        db.add(EventRole(event_id=event.id or 0, account_id=seated.id or 0, role=Role.speaker))
        await db.commit()
        await staff(db, event, Role.organiser, "organiser@example.org")
    for account in (seated, waiting):
        async with database.session() as db:
            await pick_session(db, event=event, account=account, session_id=session.id or 0)
    await signed_in_as(client, database, "organiser@example.org")
    before = page(await client.get(f"/{demo_event}/organiser"))

    removed = await post(client, f"/{demo_event}/organiser/people/{seated.id}/remove")

    assert before.xpath(f"//table[@id='team']//tr[@data-account='{seated.id}']/td[2]/text()") == ["Speaker"]
    assert (removed.status_code, removed.headers["location"]) == (303, f"/{demo_event}/organiser#registrations")
    async with database.session() as db:
        registrations = {row.account_id: row.status for row in (await db.exec(select(Registration))).all()}
        choices = {
            row.registration_id: row.status
            for row in (await db.exec(select(SessionChoice).where(SessionChoice.session_id == session.id))).all()
        }
        roles = (await db.exec(select(EventRole).where(EventRole.account_id == seated.id))).all()
        promoted = (
            await db.exec(select(OutboxMail).where(col(OutboxMail.subject).startswith("A seat is yours")))
        ).all()
        account = await db.get_one(Account, seated.id)
    assert registrations[seated.id] == RegistrationStatus.cancelled
    assert list(choices.values()) == [ChoiceStatus.confirmed]  # the waiting delegate's, now seated
    assert [mail.recipient for mail in promoted] == [waiting.email]
    assert roles == []
    assert account.disabled is False  # their account, and every other event, stay as they were
    after = page(await client.get(f"/{demo_event}/organiser"))
    assert after.xpath(f"//table[@id='team']//tr[@data-account='{seated.id}']") == []


async def test_organiser_cannot_remove_themselves_or_nobody(client, database, demo_event):
    async with database.session() as db:
        event = await get_event(db, slug=demo_event)
        organiser = await staff(db, event, Role.organiser, "organiser@example.org")
        stranger = Account(email="stranger@example.org")
        db.add(stranger)
        await db.commit()
        await db.refresh(stranger)
    await signed_in_as(client, database, "organiser@example.org")

    themselves = await post(client, f"/{demo_event}/organiser/people/{organiser.id}/remove")
    nobody = await post(client, f"/{demo_event}/organiser/people/{stranger.id}/remove")

    assert themselves.status_code == 400
    assert "You cannot remove yourself from the event." in themselves.text
    assert nobody.status_code == 404
    async with database.session() as db:
        assert len((await db.exec(select(EventRole).where(EventRole.account_id == organiser.id))).all()) == 1


async def test_admin_page_finds_and_disables_accounts(client, database, demo_event):
    async with database.session() as db:
        event = await get_event(db, slug=demo_event)
        (delegate,) = await delegates(db, event, 1, prefix="amira")
        admin = await grant_admin(db, email="admin@example.org")
    await signed_in_as(client, database, "admin@example.org")

    found = page(await client.get("/admin/accounts", params={"q": "AMIRA"}))
    without_csrf = await client.post(f"/admin/accounts/{delegate.id}/disable")
    disabled = await post(client, f"/admin/accounts/{delegate.id}/disable")
    yourself = await post(client, f"/admin/accounts/{admin.id}/disable")
    listed = page(await client.get("/admin/accounts", params={"q": "amira0"}))

    assert found.xpath("//table[@id='accounts']//th[@scope='row']/text()") == ["amira0@example.org"]
    assert without_csrf.status_code == 403
    assert disabled.status_code == 303
    assert listed.xpath(f"//tr[@data-account='{delegate.id}']//span[@class='account-state']/text()") == ["Disabled"]
    async with database.session() as db:
        assert (await db.get_one(Account, delegate.id)).disabled is True
    assert yourself.status_code == 400


async def test_demo_organiser_is_also_the_instance_admin(client, database):
    from server.agenda.interchange import DEMO_EVENT_FILE
    from server.demo import DEMO_ACCOUNTS, load_demo

    async with database.session() as db:
        await load_demo(
            db, links=site_urls("http://podium.test"), event_text=DEMO_EVENT_FILE.read_text(encoding="utf-8")
        )
    await signed_in_as(client, database, DEMO_ACCOUNTS[Role.organiser][0])

    account_page = page(await client.get("/account"))
    listed = page(await client.get("/admin/accounts"))

    assert account_page.xpath("//a[@href='/admin/accounts']/text()") == ["Accounts of this instance"]
    assert len(listed.xpath("//table[@id='accounts']/tbody/tr")) == 4
