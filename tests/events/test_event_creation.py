"""Creating an event in the browser: who may (PODIUM_EVENT_CREATORS, instance admins), what a bad field shows,
and that nothing is stored until every field is right."""

from __future__ import annotations

import pytest
from sqlmodel import select

from server.accounts.admin import grant_admin
from server.accounts.models import EventRole, Role
from server.audit.models import AuditEntry
from server.events.models import Event, EventLogo
from server.organising.event_input import MAX_LOGO_BYTES
from tests.support.event_forms import PNG, event_form, send_event_form
from tests.support.html import page
from tests.support.http import count, signed_in_as

pytestmark = [pytest.mark.integration, pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)]


def field_error(response, name: str) -> str:
    found = page(response).xpath(f"//*[@data-field='{name}']//p[@class='field-error']")
    return " ".join(found[0].text_content().split()) if found else ""


async def test_a_listed_creator_creates_a_draft_and_becomes_its_organiser(client, database):
    await signed_in_as(client, database, "creator@example.org")
    form = page(await client.get("/events/new"))

    created = await send_event_form(client, "/events/new", event_form(), logo=("logo.png", PNG, "image/png"))

    assert form.xpath("//form[@enctype='multipart/form-data']/@action") == ["/events/new"]
    assert (created.status_code, created.headers["location"]) == (303, "/adf-2027/organiser/event")
    async with database.session() as db:
        event = (await db.exec(select(Event).where(Event.slug == "adf-2027"))).one()
        roles = (await db.exec(select(EventRole.role).where(EventRole.event_id == event.id))).all()
        logo = await db.get_one(EventLogo, event.id)
        actions = (await db.exec(select(AuditEntry.action).where(AuditEntry.event_id == event.id))).all()
    assert (event.title, event.acronym, event.timezone, event.languages) == (
        "Asian Dialogue Forum 2027",
        "ADF 2027",
        "Asia/Bangkok",
        "en,th",
    )
    assert (event.published, event.attendance, event.primary_color, event.has_logo) == (
        False,
        "hybrid",
        "#1f6feb",
        True,
    )
    assert (logo.content_type, logo.data) == ("image/png", PNG)
    assert roles == [Role.organiser]
    assert actions == ["event.create"]
    section = page(await client.get("/adf-2027/organiser/event"))
    assert section.xpath("//input[@id='event-title']/@value") == ["Asian Dialogue Forum 2027"]
    assert section.xpath("//*[@data-state]/@data-state") == ["draft"]


async def test_a_new_event_has_released_nothing_so_its_first_release_is_release_1(client, database):
    await signed_in_as(client, database, "creator@example.org")
    await send_event_form(client, "/events/new", event_form())

    release = page(await client.get("/adf-2027/organiser/programme/release"))

    assert " ".join(release.xpath("string(//main//p[contains(., 'released')])").split()).startswith(
        "Nothing is released yet: the public programme is empty."
    )
    async with database.session() as db:
        assert (await db.exec(select(Event.programme_release).where(Event.slug == "adf-2027"))).one() == 0


async def test_an_empty_slug_is_made_from_the_name(client, database):
    await signed_in_as(client, database, "creator@example.org")

    created = await send_event_form(client, "/events/new", event_form(slug="", title="Forum Économique 2027"))

    assert created.headers["location"] == "/forum-economique-2027/organiser/event"


async def test_someone_not_listed_may_not_create_events(client, database):
    await signed_in_as(client, database, "someone@example.org")
    account = page(await client.get("/account"))

    shown = await client.get("/events/new")
    sent = await send_event_form(client, "/events/new", event_form())

    assert account.xpath("//a[@href='/events/new']") == []
    assert (shown.status_code, sent.status_code) == (404, 404)
    assert await count(database, Event) == 0


async def test_signed_out_visitors_are_asked_to_sign_in(client, database):
    shown = await client.get("/events/new")

    assert (shown.status_code, shown.headers["location"]) == (303, "/signin?next=%2Fevents%2Fnew")


@pytest.mark.parametrize("event_creators", ["anyone"])
async def test_anyone_signed_in_creates_events_when_the_setting_says_anyone(client, database):
    await signed_in_as(client, database, "someone@example.org")
    listing = page(await client.get("/"))

    created = await send_event_form(client, "/events/new", event_form())

    assert listing.xpath("//main//a[@href='/events/new']/text()") == ["Create an event"]
    assert created.status_code == 303


@pytest.mark.parametrize("event_creators", [""])
async def test_instance_admins_always_create_events(client, database):
    async with database.session() as db:
        await grant_admin(db, email="root@example.org")
    await signed_in_as(client, database, "root@example.org")
    account = page(await client.get("/account"))

    created = await send_event_form(client, "/events/new", event_form())

    assert account.xpath("//a[@href='/events/new']/text()") == ["Create an event"]
    assert created.status_code == 303


BAD_FIELDS = [
    ({"slug": "Not A Slug!"}, "slug", "Use 1 to 64 lower-case letters"),
    ({"slug": "api"}, "slug", "'api' is one of Podium's own addresses"),
    ({"timezone": "Asia/Atlantis"}, "timezone", "Please choose a time zone by its IANA name"),
    ({"end_date": "2027-05-19"}, "end_date", "The event cannot end before it starts."),
    ({"start_date": "20270520"}, "start_date", "Please give a date like 2027-05-21."),
    ({"title": "Forum\x00"}, "title", "This field contains characters Podium cannot accept"),
    ({"venue": "v" * 301}, "venue", "Please use at most 300 characters (this has 301)."),
    ({"title": ""}, "title", "Please fill this in."),
    ({"languages": []}, "languages", "Please choose at least one language from the list."),
    ({"languages": ["en", "xx"]}, "languages", "Please choose at least one language from the list."),
    ({"attendance": "sometimes"}, "attendance", "Please choose on-site only, online only or hybrid."),
    ({"primary_color": "red;}body{x"}, "primary_color", "Please give a colour as # and six"),
    ({"contact_email": "nobody"}, "contact_email", "Please give an email address"),
]


@pytest.mark.parametrize(("changes", "field", "message"), BAD_FIELDS)
async def test_a_bad_field_shows_its_message_beside_it_and_nothing_is_stored(client, database, changes, field, message):
    await signed_in_as(client, database, "creator@example.org")

    refused = await send_event_form(client, "/events/new", event_form(**changes), logo=("logo.png", PNG, "image/png"))

    assert refused.status_code == 400
    assert field_error(refused, field).startswith(message)
    shown = page(refused)
    assert shown.xpath("//input[@id='event-acronym']/@value") == ["ADF 2027"]  # what was typed comes back
    assert (await count(database, Event), await count(database, EventLogo)) == (0, 0)


async def test_a_slug_taken_by_another_event_is_refused(client, database, demo_event):
    await signed_in_as(client, database, "creator@example.org")

    refused = await send_event_form(client, "/events/new", event_form(slug=demo_event))

    assert refused.status_code == 400
    assert field_error(refused, "slug") == f"An event called '{demo_event}' exists already; please choose another."
    assert await count(database, Event) == 1


@pytest.mark.parametrize(
    ("logo", "message"),
    [
        (("logo.png", b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "image/png"),
         "The logo must be a PNG, JPEG or WebP image (SVG is not accepted)."),
        (("notes.txt", b"just some text", "text/plain"), "The logo must be a PNG, JPEG or WebP image"),
        (("big.png", PNG + b"\0" * MAX_LOGO_BYTES, "image/png"), "The logo may be at most 512 KB; this file is larger."),
    ],
)  # fmt: skip
async def test_a_logo_that_is_not_an_image_or_too_large_is_refused(client, database, logo, message):
    await signed_in_as(client, database, "creator@example.org")

    refused = await send_event_form(client, "/events/new", event_form(), logo=logo)

    assert refused.status_code == 400
    assert field_error(refused, "logo").startswith(message)
    assert (await count(database, Event), await count(database, EventLogo)) == (0, 0)


async def test_a_new_event_lets_guests_in_the_hall_ask_with_review(client, database):
    from server.live.access import room_rules

    await signed_in_as(client, database, "creator@example.org")
    await send_event_form(client, "/events/new", event_form())

    async with database.session() as db:
        event = (await db.exec(select(Event).where(Event.slug == "adf-2027"))).one()
        rules = await room_rules(db, event_id=event.id or 0, session_id=0)
    assert (rules.anonymous_guests, rules.moderated) == (True, True)
    settings = page(await client.get("/adf-2027/organiser/live"))
    assert settings.xpath("//input[@name='anonymous_guests'][@checked]/@value") == ["yes"]
