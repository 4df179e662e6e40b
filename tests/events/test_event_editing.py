"""Editing an event's own fields in its "Event" section: saved and recorded; a save made on an old copy of the
form is refused with the other organiser's values shown, never written over them."""

from __future__ import annotations

import pytest
from sqlmodel import select

from server.accounts.models import Role
from server.audit.models import AuditEntry
from server.events.models import Event, EventLogo
from server.events.services import get_event
from tests.support.event_forms import PNG, event_form, send_event_form
from tests.support.factories import staff
from tests.support.html import page
from tests.support.http import ClientMaker, client_maker, signed_in_as

pytestmark = [pytest.mark.integration, pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)]


@pytest.fixture
def browsers(settings, database) -> ClientMaker:
    return client_maker(settings, database)


def form_values(response) -> dict[str, str]:
    shown = page(response)
    values = {name: shown.xpath(f"//input[@name='{name}']/@value") for name in ("title", "edit_version", "venue")}
    return {name: found[0] if found else "" for name, found in values.items()}


async def test_an_organiser_saves_the_event_and_the_audit_log_says_what_changed(client, database, demo_event):
    async with database.session() as db:
        event = await get_event(db, slug=demo_event)
        await staff(db, event, Role.organiser, "organiser@example.org")
    await signed_in_as(client, database, "organiser@example.org")
    opened = form_values(await client.get(f"/{demo_event}/organiser/event"))

    saved = await send_event_form(
        client,
        f"/{demo_event}/organiser/event",
        event_form(title="Asian Dialogue (revised)", edit_version=opened["edit_version"]),
        logo=("logo.png", PNG, "image/png"),
    )

    assert (saved.status_code, saved.headers["location"]) == (303, f"/{demo_event}/organiser/event?saved=1")
    async with database.session() as db:
        event = await get_event(db, slug=demo_event)
        logo = await db.get_one(EventLogo, event.id)
        entry = (await db.exec(select(AuditEntry).where(AuditEntry.action == "event.update"))).one()
    assert (event.title, event.slug, event.timezone, event.edit_version) == (
        "Asian Dialogue (revised)",
        demo_event,  # the address stays: links to the event keep working
        "Asia/Bangkok",
        int(opened["edit_version"]) + 1,
    )
    assert logo.data == PNG
    assert entry.before is not None and entry.after is not None
    assert (entry.before["title"], entry.after["title"]) == (
        "Asian Dialogue for Cultural Heritage Conservation",
        "Asian Dialogue (revised)",
    )
    assert (entry.before["has_logo"], entry.after["has_logo"]) == (False, True)
    agenda = page(await client.get(f"/{demo_event}/"))
    assert agenda.xpath("//header//img[@class='event-logo']/@alt") == ["Asian Dialogue (revised)"]


async def test_the_second_of_two_organisers_saving_sees_the_firsts_values(browsers, database, demo_event):
    async with database.session() as db:
        event = await get_event(db, slug=demo_event)
        await staff(db, event, Role.organiser, "first@example.org")
        await staff(db, event, Role.organiser, "second@example.org")
    async with browsers() as first, browsers() as second:
        await signed_in_as(first, database, "first@example.org")
        await signed_in_as(second, database, "second@example.org")
        path = f"/{demo_event}/organiser/event"
        opened_first = form_values(await first.get(path))
        opened_second = form_values(await second.get(path))

        first_save = await send_event_form(
            first, path, event_form(venue="Hall A", edit_version=opened_first["edit_version"])
        )
        second_save = await send_event_form(
            second, path, event_form(venue="Hall B", edit_version=opened_second["edit_version"])
        )

    assert first_save.status_code == 303
    assert second_save.status_code == 409
    assert "Someone else saved this event while you were editing it." in page(second_save).text_content()
    shown = form_values(second_save)
    assert shown["venue"] == "Hall A"  # the first organiser's value, to compare with
    assert shown["edit_version"] == str(int(opened_first["edit_version"]) + 1)
    async with database.session() as db:
        assert (await get_event(db, slug=demo_event)).venue == "Hall A"


async def test_a_bad_field_when_editing_keeps_what_was_typed(client, database, demo_event):
    async with database.session() as db:
        event = await get_event(db, slug=demo_event)
        await staff(db, event, Role.organiser, "organiser@example.org")
    await signed_in_as(client, database, "organiser@example.org")
    opened = form_values(await client.get(f"/{demo_event}/organiser/event"))

    refused = await send_event_form(
        client,
        f"/{demo_event}/organiser/event",
        event_form(timezone="Mars/Olympus", venue="Typed venue", edit_version=opened["edit_version"]),
    )

    assert refused.status_code == 400
    assert form_values(refused)["venue"] == "Typed venue"
    [message] = page(refused).xpath("//*[@data-field='timezone']//p[@class='field-error']/text()")
    assert message.startswith("Please choose a time zone")
    async with database.session() as db:
        assert (await get_event(db, slug=demo_event)).timezone == "Asia/Shanghai"


async def test_only_organisers_open_the_event_section(client, database, demo_event):
    async with database.session() as db:
        event = await get_event(db, slug=demo_event)
        await staff(db, event, Role.moderator, "moderator@example.org")
    anonymous = await client.get(f"/{demo_event}/organiser/event")
    await signed_in_as(client, database, "moderator@example.org")

    moderator = await client.get(f"/{demo_event}/organiser/event")
    posted = await send_event_form(client, f"/{demo_event}/organiser/event", event_form(edit_version="1"))

    assert (anonymous.status_code, moderator.status_code, posted.status_code) == (303, 404, 404)
    assert anonymous.headers["location"].startswith("/signin?next=")
    async with database.session() as db:
        assert (await db.exec(select(Event.title))).one() == "Asian Dialogue for Cultural Heritage Conservation"
