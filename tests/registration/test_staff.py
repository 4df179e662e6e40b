"""The back office's Staff section: invite by mail, accept (the account is made then), the role works and only
where it is scoped; list and remove roles, never the last organiser; signed-out staff pages ask to sign in; the
navigation shows each person their tools."""

from __future__ import annotations

import re

import httpx
import pytest
from sqlmodel import col, select

from server.accounts.models import Account, EventRole, Role, SessionRole
from server.agenda.models import Person, SessionSpeaker
from server.audit.models import AuditEntry
from server.db import Database
from server.mail.models import OutboxMail
from server.organising.models import StaffInvitation
from tests.support import factories
from tests.support.html import error_message, page
from tests.support.http import ClientMaker, as_person, client_maker, last_link, post
from tests.support.world import World

pytestmark = [pytest.mark.integration, pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)]

INVITATION = re.compile(r"https?://[^/\s]+(/[^/\s]+/invitations/[A-Za-z0-9_-]+)")


async def invitation_link(database: Database, email: str) -> str:
    return await last_link(database, email, INVITATION)


async def actions(database: Database) -> list[str]:
    async with database.session() as db:
        return list((await db.exec(select(AuditEntry.action).order_by(col(AuditEntry.id)))).all())


@pytest.fixture
def browsers(settings, database) -> ClientMaker:
    return client_maker(settings, database)


async def test_invited_session_moderator_accepts_and_moderates_that_session_only(
    world: World, web: httpx.AsyncClient, database: Database, browsers: ClientMaker
) -> None:
    slug = world.event.slug
    as_person(web, world.organiser)

    invited = await post(
        web,
        f"/{slug}/organiser/staff",
        {"email": " New.Chair@Example.org ", "role": "moderator", "session": str(world.session.id)},
    )
    link = await invitation_link(database, "new.chair@example.org")
    async with database.session() as db:
        before_accepting = (await db.exec(select(Account).where(Account.email == "new.chair@example.org"))).first()
    async with browsers() as browser:
        offer = await browser.get(link)
        accepted = await post(browser, link)
        console = await browser.get(world.path("moderate"))
        elsewhere = await browser.get(world.path("moderate", session=world.second))
        dashboard = await browser.get(f"/{slug}/organiser")
        used_again = await post(browser, link)

    assert (invited.status_code, invited.headers["location"]) == (303, f"/{slug}/organiser/staff")
    assert before_accepting is None  # the account is made when the invitation is accepted
    assert offer.status_code == 200
    assert world.session.title in " ".join(page(offer).xpath("//h1/following-sibling::p[1]//text()"))
    assert (accepted.status_code, accepted.headers["location"]) == (303, world.path("moderate"))
    assert (console.status_code, elsewhere.status_code, dashboard.status_code) == (200, 404, 404)
    assert used_again.status_code == 404
    async with database.session() as db:
        account = (await db.exec(select(Account).where(Account.email == "new.chair@example.org"))).one()
        scoped = (await db.exec(select(SessionRole.session_id).where(SessionRole.account_id == account.id))).all()
        event_wide = (await db.exec(select(EventRole).where(EventRole.account_id == account.id))).all()
    assert (scoped, event_wide) == ([world.session.id], [])
    assert await actions(database) == ["staff.invite", "staff.accept"]


async def test_check_in_staff_see_the_desk_only(
    world: World, web: httpx.AsyncClient, database: Database, browsers: ClientMaker
) -> None:
    slug = world.event.slug
    as_person(web, world.organiser)
    await post(web, f"/{slug}/organiser/staff", {"email": "desk@example.org", "role": "checkin"})
    link = await invitation_link(database, "desk@example.org")
    async with browsers() as browser:
        accepted = await post(browser, link)
        answers = {
            path: (await browser.get(f"/{slug}{path}")).status_code
            for path in ("/checkin", "/organiser", "/organiser/staff", "/organiser/live", "/participants")
        }
        tools = page(await browser.get(f"/{slug}/tools"))

    assert accepted.headers["location"] == f"/{slug}/checkin"
    assert answers == {
        "/checkin": 200,
        "/organiser": 404,
        "/organiser/staff": 404,
        "/organiser/live": 404,
        "/participants": 404,
    }
    assert tools.xpath("//ul[contains(@class, 'tools-list')]//a/@href") == [f"/{slug}/checkin"]


async def test_staff_list_shows_roles_and_scopes(world: World, web: httpx.AsyncClient, database: Database) -> None:
    async with database.session() as db:
        db.add(
            SessionRole(
                event_id=world.event.id or 0,
                session_id=world.session.id or 0,
                account_id=world.delegate.account.id or 0,
                role=Role.moderator,
            )
        )
        await db.commit()
    as_person(web, world.organiser)

    listed = page(await web.get(f"/{world.event.slug}/organiser/staff"))

    def row(person) -> list[str]:
        cells = listed.xpath(f"//table[contains(@class,'staff-table')]//tr[@data-account='{person.account.id}']")
        return [" ".join(cell.xpath("string(td[3])").split()) for cell in cells]

    assert row(world.delegate) == [f"Session: {world.session.title}"]
    assert row(world.moderator) == ["Whole event"]
    assert row(world.organiser) == ["Whole event"]


async def test_removing_a_role_asks_first_then_takes_it(
    world: World, web: httpx.AsyncClient, database: Database
) -> None:
    slug = world.event.slug
    target = world.moderator.account.id
    as_person(web, world.organiser)

    asked = await web.get(f"/{slug}/organiser/staff/{target}/remove?role=moderator")
    removed = await post(web, f"/{slug}/organiser/staff/{target}/remove", {"role": "moderator"})
    again = await post(web, f"/{slug}/organiser/staff/{target}/remove", {"role": "moderator"})
    console = await as_person(web, world.moderator).get(world.path("moderate"))

    assert asked.status_code == 200
    assert page(asked).xpath("//main//form//button[@type='submit']/text()") == ["Remove the role"]
    assert removed.headers["location"] == f"/{slug}/organiser/staff"
    assert again.status_code == 404
    assert console.status_code == 404
    assert await actions(database) == ["staff.remove"]


async def test_the_last_organiser_cannot_remove_themselves(
    world: World, web: httpx.AsyncClient, database: Database
) -> None:
    slug = world.event.slug
    me = world.organiser.account.id
    as_person(web, world.organiser)

    refused = await post(web, f"/{slug}/organiser/staff/{me}/remove", {"role": "organiser"})
    async with database.session() as db:
        second = await factories.person(db, world.event, "Second Organiser", role=Role.organiser)
    left = await post(web, f"/{slug}/organiser/staff/{me}/remove", {"role": "organiser"})
    still_second = await as_person(web, second).get(f"/{slug}/organiser/staff")

    assert refused.status_code == 409
    assert error_message(refused) == "An event needs at least one organiser: invite another before you leave."
    assert (left.status_code, left.headers["location"]) == (303, f"/{slug}/")
    assert still_second.status_code == 200
    assert await actions(database) == ["staff.remove"]


async def test_signed_out_staff_page_asks_to_sign_in_and_comes_back(
    world: World, client: httpx.AsyncClient, database: Database
) -> None:
    slug = world.event.slug
    target = f"/{slug}/organiser/staff"

    asked = await client.get(target)
    sign_in_page = await client.get(asked.headers["location"])
    next_path = page(sign_in_page).xpath("//input[@name='next']/@value")
    sent = await post(client, "/signin", {"email": world.organiser.account.email, "next": next_path[0]})
    back = await post(client, await last_link(database, world.organiser.account.email))
    shown = await client.get(back.headers["location"])

    assert (asked.status_code, asked.headers["location"]) == (303, "/signin?next=%2F" + slug + "%2Forganiser%2Fstaff")
    assert next_path == [target]
    assert sent.status_code == 303
    assert back.headers["location"] == target
    assert shown.status_code == 200


async def test_signed_out_exports_and_posts_stay_not_found(world: World, client: httpx.AsyncClient) -> None:
    slug = world.event.slug

    export = await client.get(f"/{slug}/organiser/registrations.csv")
    posted = await post(client, f"/{slug}/organiser/staff", {"email": "x@example.org", "role": "moderator"})

    assert (export.status_code, posted.status_code) == (404, 404)


async def test_navigation_shows_each_person_their_tools(
    world: World, web: httpx.AsyncClient, database: Database
) -> None:
    slug = world.event.slug
    async with database.session() as db:
        chair = await factories.person(db, world.event, "Session Chair")
        db.add(
            SessionRole(
                event_id=world.event.id or 0,
                session_id=world.second.id or 0,
                account_id=chair.account.id or 0,
                role=Role.moderator,
            )
        )
        await db.commit()

    def tools(response: httpx.Response) -> list[str]:
        return page(response).xpath("//ul[contains(@class, 'tools-list')]//a/@href")

    organiser = tools(await as_person(web, world.organiser).get(f"/{slug}/tools"))
    session_chair = tools(await as_person(web, chair).get(f"/{slug}/tools"))
    on_account = tools(await as_person(web, chair).get("/account"))
    delegate = await as_person(web, world.delegate).get(f"/{slug}/tools")
    header = page(await as_person(web, None).get(f"/{slug}/"))

    assert organiser[:2] == [f"/{slug}/organiser", f"/{slug}/checkin"]
    assert world.path("moderate") in organiser and world.path("moderate", session=world.second) in organiser
    assert session_chair == [world.path("moderate", session=world.second)]
    assert on_account == session_chair
    assert tools(delegate) == []
    assert page(delegate).xpath("string(//p[@class='empty'])") == "You hold no staff role in this event."
    assert header.xpath("//nav[@class='site-nav']//a[text()='Your tools']/@href") == [f"/{slug}/tools"]


async def test_invited_speaker_gets_the_studio_of_their_sessions(
    world: World, web: httpx.AsyncClient, database: Database, browsers: ClientMaker
) -> None:
    slug = world.event.slug
    async with database.session() as db:
        person_id = (
            await db.exec(select(SessionSpeaker.person_id).where(SessionSpeaker.session_id == world.session.id))
        ).first()
        person = await db.get_one(Person, person_id)
    as_person(web, world.organiser)
    await post(
        web, f"/{slug}/organiser/staff", {"email": "voice@example.org", "role": "speaker", "person": str(person.id)}
    )
    link = await invitation_link(database, "voice@example.org")
    async with browsers() as browser:
        await post(browser, link)
        tools = page(await browser.get(f"/{slug}/tools")).xpath("//ul[contains(@class, 'tools-list')]//a/@href")
        studio = await browser.get(world.path("studio"))

    assert world.path("studio") in tools
    assert studio.status_code == 200


@pytest.mark.parametrize(
    ("fields", "status", "message"),
    [
        (
            {"email": "a@example.org", "role": "chair"},
            400,
            "Please choose a role: organiser, moderator, check-in staff, speaker, interpreter or captioner.",
        ),
        ({"email": "not an address", "role": "moderator"}, 400, "This is not a valid email address."),
        (
            {"email": "a\x00b@example.org", "role": "moderator"},
            400,
            "The form contains characters Podium cannot accept, such as a NUL byte.",
        ),
        (
            {"email": "a@example.org", "role": "organiser", "session": "1"},
            400,
            "Only moderators are invited for one session.",
        ),
        (
            {"email": "a@example.org", "role": "moderator", "session": "12x"},
            400,
            "The form is incomplete. Please reload the page and try again.",
        ),
    ],
)
async def test_bad_invitations_are_refused_with_the_form_kept(
    world: World, web: httpx.AsyncClient, database: Database, fields, status, message
) -> None:
    as_person(web, world.organiser)

    answer = await post(web, f"/{world.event.slug}/organiser/staff", fields)

    assert answer.status_code == status
    assert error_message(answer) == message
    if "\x00" not in fields["email"]:
        assert page(answer).xpath("//input[@name='email']/@value") == [fields["email"]]
    async with database.session() as db:
        assert (await db.exec(select(StaffInvitation))).all() == []
        assert (await db.exec(select(OutboxMail))).all() == []


async def test_another_events_session_is_not_found(world: World, web: httpx.AsyncClient, database: Database) -> None:
    as_person(web, world.organiser)

    answer = await post(
        web,
        f"/{world.event.slug}/organiser/staff",
        {"email": "a@example.org", "role": "moderator", "session": str(world.other_session.id)},
    )
    removal = await post(
        web,
        f"/{world.event.slug}/organiser/staff/{world.other_moderator.account.id}/remove",
        {"role": "moderator"},
    )

    assert (answer.status_code, removal.status_code) == (404, 404)
    async with database.session() as db:
        assert (await db.exec(select(StaffInvitation))).all() == []
