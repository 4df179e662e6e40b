"""Cloning an event for next year's edition: its structure comes along, moved by the shift of the dates; its
people's registrations, picks, questions and roles do not."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import col, func, select

from server.accounts.models import EventRole, Role
from server.agenda.models import Person, Room, Session, SessionSpeaker, Track
from server.audit.models import AuditEntry
from server.db import Database
from server.events.models import Event
from server.live.models import LiveSettings
from server.registration.models import Registration, SessionChoice
from tests.support import factories
from tests.support.html import page
from tests.support.http import as_person, post
from tests.support.world import World

pytestmark = [pytest.mark.integration, pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)]


async def rows(database: Database, table, event_id: int) -> int:
    async with database.session() as db:
        return int((await db.exec(select(func.count()).select_from(table).where(table.event_id == event_id))).one())


@pytest.mark.parametrize("event_creators", ["anyone"])
async def test_a_clone_copies_the_structure_moved_by_the_date_shift_and_no_registrations(
    web, world: World, database: Database
):
    async with database.session() as db:
        await factories.set_live_settings(db, world.event, anonymous_guests=True, moderated=True)
        linked = (await db.exec(select(Person).where(Person.event_id == world.event.id))).first()
        assert linked is not None
        linked.account_id = world.speaker.account.id
        db.add(linked)
        await db.commit()
    organiser = as_person(web, world.organiser)
    form = page(await organiser.get(f"/{world.event.slug}/organiser/event/clone"))

    cloned = await post(
        organiser,
        f"/{world.event.slug}/organiser/event/clone",
        {
            "title": "Asian Dialogue 2022",
            "slug": "asian-dialogue-2022",
            "start_date": "2022-11-07",
            "end_date": "2022-11-09",
        },
    )

    assert form.xpath("//input[@name='slug']/@value") == ["asian-dialogue-2022"]  # the year moved on
    assert (cloned.status_code, cloned.headers["location"]) == (303, "/asian-dialogue-2022/organiser/event")
    async with database.session() as db:
        source = await db.get_one(Event, world.event.id)
        copy = (await db.exec(select(Event).where(Event.slug == "asian-dialogue-2022"))).one()
        shift = copy.start_date - source.start_date
        old_sessions = (
            await db.exec(select(Session).where(Session.event_id == source.id).order_by(col(Session.code)))
        ).all()
        new_sessions = (
            await db.exec(select(Session).where(Session.event_id == copy.id).order_by(col(Session.code)))
        ).all()
        roles = (await db.exec(select(EventRole.account_id, EventRole.role).where(EventRole.event_id == copy.id))).all()
        people_links = (await db.exec(select(Person.account_id).where(Person.event_id == copy.id))).all()
        speakers = {(row.session_id, row.person_id) for row in (await db.exec(select(SessionSpeaker))).all()}
        live = await db.get_one(LiveSettings, copy.id)
        choices = (
            await db.exec(select(func.count()).select_from(SessionChoice).where(SessionChoice.event_id == copy.id))
        ).one()
        action = (await db.exec(select(AuditEntry.action).where(AuditEntry.event_id == copy.id))).one()
    assert (copy.title, copy.published, copy.timezone, copy.venue) == (
        "Asian Dialogue 2022",
        False,
        source.timezone,
        source.venue,
    )
    assert shift == dt.date(2022, 11, 7) - source.start_date
    assert [(s.code, s.title, s.start + shift, s.end + shift) for s in old_sessions] == [
        (s.code, s.title, s.start, s.end) for s in new_sessions
    ]
    for table in (Room, Track, Person):
        assert await rows(database, table, copy.id or 0) == await rows(database, table, source.id or 0)
    copied_speakers = [pair for pair in speakers if pair[0] in {s.id for s in new_sessions}]
    assert len(copied_speakers) == len([pair for pair in speakers if pair[0] in {s.id for s in old_sessions}]) > 0
    assert set(people_links) == {None}  # speakers come without their accounts
    assert roles == [(world.organiser.account.id, Role.organiser)]
    assert await rows(database, Registration, copy.id or 0) == 0
    assert choices == 0
    assert (live.anonymous_guests, live.moderated) == (True, True)
    assert action == "event.clone"
    outsider = await as_person(web, None).get("/asian-dialogue-2022/")
    assert outsider.status_code == 404  # a draft


@pytest.mark.parametrize("event_creators", ["anyone"])
async def test_a_clone_with_a_taken_slug_or_bad_dates_shows_why(web, world: World, database: Database):
    organiser = as_person(web, world.organiser)
    path = f"/{world.event.slug}/organiser/event/clone"

    taken = await post(
        organiser,
        path,
        {"title": "Again", "slug": world.event.slug, "start_date": "2022-11-07", "end_date": "2022-11-09"},
    )
    backwards = await post(
        organiser, path, {"title": "Again", "slug": "again", "start_date": "2022-11-07", "end_date": "2022-11-01"}
    )

    assert taken.status_code == 400
    assert page(taken).xpath("//*[@data-field='slug']/p[@class='field-error']/text()") == [
        f"An event called '{world.event.slug}' exists already; please choose another."
    ]
    assert backwards.status_code == 400
    assert page(backwards).xpath("//*[@data-field='end_date']/p[@class='field-error']/text()") == [
        "The event cannot end before it starts."
    ]
    async with database.session() as db:
        assert (await db.exec(select(func.count()).select_from(Event))).one() == 2  # the demo and the other event


async def test_an_organiser_not_allowed_to_create_events_cannot_clone(web, world: World, database: Database):
    section = page(await as_person(web, world.organiser).get(f"/{world.event.slug}/organiser/event"))
    refused = await post(
        as_person(web, world.organiser),
        f"/{world.event.slug}/organiser/event/clone",
        {"title": "Again", "slug": "again", "start_date": "2022-11-07", "end_date": "2022-11-09"},
    )

    assert section.xpath("//a[contains(@href, '/clone')]") == []
    assert refused.status_code == 404
