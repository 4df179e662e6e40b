"""A draft event is its staff's alone: everyone else gets "not found" on every page, export, feed and API document
of it, and it is in no list; publishing it shows it to everyone, taking it back hides it again."""

from __future__ import annotations

import httpx
import pytest
from sqlmodel import select

from server.audit.models import AuditEntry
from server.db import Database
from server.events.models import Event, EventLogo
from server.registration.models import Registration
from tests.support.event_forms import PNG
from tests.support.html import page
from tests.support.http import as_person, post
from tests.support.world import World

pytestmark = [pytest.mark.integration, pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)]


def addresses(world: World) -> list[str]:
    slug, code = world.event.slug, world.session.code
    return [
        f"/{slug}/",
        f"/{slug}/sessions/{code}",
        f"/{slug}/schedule.ics",
        f"/{slug}/sessions/{code}.ics",
        f"/{slug}/schedule.xml",
        f"/{slug}/schedule.json",
        f"/api/v1/events/{slug}",
        f"/api/v1/events/{slug}/sessions",
        f"/api/v1/events/{slug}/sessions/{code}",
        f"/{slug}/register",
        f"/{slug}/theme.css",
    ]


async def make_draft(database: Database, world: World, *, published: bool = False) -> None:
    async with database.session() as db:
        event = await db.get_one(Event, world.event.id)
        event.published = published
        event.version += 1
        event.primary_color = "#1f6feb"
        db.add(event)
        await db.commit()


async def statuses(web: httpx.AsyncClient, world: World) -> dict[str, int]:
    return {path: (await web.get(path)).status_code for path in addresses(world)}


async def test_a_draft_is_not_found_by_anyone_but_its_staff(web, world: World, database: Database):
    everywhere_ok = await statuses(as_person(web, None), world)  # cached while published
    await make_draft(database, world)

    outsiders = {
        name: await statuses(as_person(web, person), world)
        for name, person in (("anonymous", None), ("delegate", world.delegate), ("outsider", world.outsider))
    }
    other_moderator = await statuses(as_person(web, world.other_moderator), world)
    staff = {
        name: await statuses(as_person(web, getattr(world, name)), world)
        for name in ("organiser", "moderator", "speaker", "admin")
    }
    listing = page(await as_person(web, None).get("/"))
    api_list = (await web.get("/api/v1/events")).json()

    assert set(everywhere_ok.values()) == {200}
    for name, seen in outsiders.items():
        assert set(seen.values()) == {404}, name
    assert set(other_moderator.values()) == {404}
    for name, seen in staff.items():
        assert set(seen.values()) == {200}, name
    assert listing.xpath(f"//a[contains(@href, '/{world.event.slug}/')]") == []
    assert [event["slug"] for event in api_list["events"]] == [world.other_event.slug]


async def test_a_delegates_calendar_feed_stops_while_the_event_is_a_draft(web, world: World, database: Database):
    async with database.session() as db:
        registration = (
            await db.exec(select(Registration).where(Registration.account_id == world.delegate.account.id))
        ).one()
    feed = f"/{world.event.slug}/agenda/{registration.feed_token}.ics"
    before = await as_person(web, None).get(feed)
    await make_draft(database, world)

    during = await as_person(web, None).get(feed)

    assert (before.status_code, during.status_code) == (200, 404)


async def test_publishing_shows_the_event_to_everyone_and_unpublishing_hides_it(web, world: World, database: Database):
    await make_draft(database, world)
    organiser = as_person(web, world.organiser)
    section = page(await organiser.get(f"/{world.event.slug}/organiser/event"))

    published = await post(organiser, f"/{world.event.slug}/organiser/event/publish")
    seen_published = await statuses(as_person(web, None), world)
    as_person(web, world.organiser)
    confirm = await web.get(f"/{world.event.slug}/organiser/event/unpublish")
    unconfirmed = await post(web, f"/{world.event.slug}/organiser/event/unpublish")
    unpublished = await post(web, f"/{world.event.slug}/organiser/event/unpublish", {"confirm": "yes"})
    seen_draft = await statuses(as_person(web, None), world)

    assert section.xpath("//*[@data-state]/@data-state") == ["draft"]
    assert published.status_code == 303
    assert set(seen_published.values()) == {200}
    assert confirm.status_code == 200 and page(confirm).xpath("//input[@name='confirm']/@type") == ["checkbox"]
    assert unconfirmed.status_code == 400
    assert unpublished.status_code == 303
    assert set(seen_draft.values()) == {404}
    async with database.session() as db:
        actions = (
            await db.exec(
                select(AuditEntry.action).where(AuditEntry.event_id == world.event.id).order_by(AuditEntry.id)
            )
        ).all()
    assert actions == ["event.publish", "event.unpublish"]


async def test_only_organisers_publish(web, world: World, database: Database):
    await make_draft(database, world)

    refused = {
        name: (
            await post(as_person(web, getattr(world, name)), f"/{world.event.slug}/organiser/event/publish")
        ).status_code
        for name in ("moderator", "speaker", "delegate", "outsider")
    }

    assert set(refused.values()) == {404}
    async with database.session() as db:
        assert (await db.get_one(Event, world.event.id)).published is False


async def test_the_event_pages_show_the_logo_and_colours(web, world: World, database: Database):
    async with database.session() as db:
        event = await db.get_one(Event, world.event.id)
        event.primary_color, event.secondary_color, event.has_logo = "#1f6feb", "#ffaa00", True
        event.version += 1
        db.add(event)
        db.add(EventLogo(event_id=event.id or 0, content_type="image/png", data=PNG))
        await db.commit()
    anonymous = as_person(web, None)

    agenda = page(await anonymous.get(f"/{world.event.slug}/"))
    theme = await anonymous.get(f"/{world.event.slug}/theme.css")
    logo = await anonymous.get(f"/{world.event.slug}/logo")

    assert agenda.xpath("//header//img[@class='event-logo']/@alt") == [world.event.title]
    [stylesheet] = agenda.xpath("//link[contains(@href, '/theme.css')]/@href")
    assert stylesheet.startswith(f"/{world.event.slug}/theme.css?v=")
    assert theme.headers["content-type"] == "text/css; charset=utf-8"
    assert theme.text.startswith(":root { --event-primary: #1f6feb; --event-secondary: #ffaa00; }")
    assert (logo.status_code, logo.headers["content-type"], logo.content) == (200, "image/png", PNG)
