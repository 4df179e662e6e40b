"""Rooms, tracks and kinds of session in the back office: edits show on the public agenda, bad input comes back
with messages and stores nothing, rooms in use are kept, two organisers never overwrite each other."""

from __future__ import annotations

import pytest
from sqlmodel import col, func, select

from server.accounts.models import Role
from server.agenda.kinds import session_kind_choices
from server.agenda.models import EventSessionKind, Room, Session, Track
from server.audit.models import AuditEntry
from server.errors import InvalidInput
from server.events.services import get_event
from server.registration.seats import pick_session
from tests.support.factories import delegates, other_event, session_with_capacity, staff
from tests.support.html import page
from tests.support.http import post, signed_in_as

pytestmark = [pytest.mark.integration, pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)]

ROOM = {"name": "Orchid Room", "slug": "orchid-room", "description": "", "capacity": "40", "streamed": "on"}


async def organiser(client, database, slug):
    async with database.session() as db:
        await staff(db, await get_event(db, slug=slug), Role.organiser, "organiser@example.org")
    await signed_in_as(client, database, "organiser@example.org")


async def rooms(database, slug):
    async with database.session() as db:
        event = await get_event(db, slug=slug)
        query = select(Room).where(Room.event_id == event.id).order_by(col(Room.position))
        return list((await db.exec(query)).all())


async def test_room_added_and_renamed_shows_on_the_agenda(client, database, demo_event):
    await organiser(client, database, demo_event)
    created = await post(client, f"/{demo_event}/organiser/programme-parts/room/new", ROOM)
    room = (await rooms(database, demo_event))[-1]
    jade = next(r for r in await rooms(database, demo_event) if r.slug == "jade-room")

    renamed = await post(
        client,
        f"/{demo_event}/organiser/programme-parts/room/{jade.id}",
        {**ROOM, "name": "Jade Hall", "slug": "jade-room", "capacity": "200", "version": str(jade.version)},
    )
    agenda = page(await client.get(f"/{demo_event}/"))

    assert (created.status_code, renamed.status_code) == (303, 303)
    assert (room.name, room.capacity, room.streamed, room.position) == ("Orchid Room", 40, True, 6)
    assert "Jade Hall" in agenda.xpath("//select[@id='filter-room']/option/text()")
    async with database.session() as db:
        actions = (await db.exec(select(AuditEntry.action).order_by(col(AuditEntry.id)))).all()
    assert actions == ["room.create", "room.update"]


async def test_room_and_kind_left_without_a_slug_get_one_from_their_name(client, database, demo_event):
    await organiser(client, database, demo_event)

    room = await post(client, f"/{demo_event}/organiser/programme-parts/room/new", {**ROOM, "slug": ""})
    kind = await post(
        client,
        f"/{demo_event}/organiser/programme-parts/kind/new",
        {"name": "Field visit to the lagoon", "slug": "", "color": "", "behaviour": "parallel"},
    )

    assert (room.status_code, kind.status_code) == (303, 303)
    assert (await rooms(database, demo_event))[-1].slug == "orchid-room"
    async with database.session() as db:
        kinds = await db.exec(select(EventSessionKind.slug).where(EventSessionKind.name == "Field visit to the lagoon"))
        assert kinds.all() == ["field-visit-to-the-l"]  # a kind's slug is 20 characters at most


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "Orchid\x00", "This contains characters Podium cannot accept, such as a NUL byte."),
        ("capacity", "99999999999999999999", "Write a whole number from 0 to 1000000."),
        ("capacity", "-3", "Write a whole number from 0 to 1000000."),
        ("slug", "jade-room", "Another room of this event has this slug."),
        ("slug", "Not A Slug", "Use lower-case letters a to z, digits and hyphens, starting with a letter or digit."),
    ],
)
async def test_bad_room_comes_back_with_the_message_and_nothing_stored(
    client, database, demo_event, field, value, message
):
    await organiser(client, database, demo_event)

    response = await post(client, f"/{demo_event}/organiser/programme-parts/room/new", {**ROOM, field: value})

    html = page(response)
    assert response.status_code == 400
    assert html.xpath(f"//p[@id='part-{field}-error']/text()") == [message]
    assert html.xpath("//input[@id='part-name']/@value") == [ROOM["name"] if field != "name" else "Orchid\ufffd"]
    assert len(await rooms(database, demo_event)) == 6


async def test_bad_track_colour_is_refused(client, database, demo_event):
    await organiser(client, database, demo_event)

    response = await post(
        client, f"/{demo_event}/organiser/programme-parts/track/new", {"name": "T", "slug": "t", "color": "red"}
    )

    assert response.status_code == 400
    assert page(response).xpath("//p[@id='part-color-error']/text()") == [
        "Write a colour as # and six hexadecimal digits, like #2f855a."
    ]
    async with database.session() as db:
        assert (await db.exec(select(func.count()).select_from(Track))).one() == 3


async def test_room_in_use_is_not_deleted_and_says_how_many_sessions(client, database, demo_event):
    await organiser(client, database, demo_event)
    hall = (await rooms(database, demo_event))[0]
    async with database.session() as db:
        used = (await db.exec(select(func.count()).select_from(Session).where(Session.room_id == hall.id))).one()

    response = await post(client, f"/{demo_event}/organiser/programme-parts/room/{hall.id}/delete")

    assert response.status_code == 409
    assert page(response).xpath("//p[@role='alert']/text()") == [
        f"{used} sessions are in this room. Move them to another room first."
    ]
    assert len(await rooms(database, demo_event)) == 6


async def test_track_deleted_leaves_its_sessions_without_a_track(client, database, demo_event):
    await organiser(client, database, demo_event)
    async with database.session() as db:
        track = (await db.exec(select(Track).order_by(col(Track.position)))).first()

    response = await post(client, f"/{demo_event}/organiser/programme-parts/track/{track.id}/delete")

    assert response.status_code == 303
    async with database.session() as db:
        assert (await db.exec(select(func.count()).select_from(Session).where(Session.track_id == track.id))).one() == 0
        assert (await db.exec(select(func.count()).select_from(Track))).one() == 2


async def test_rooms_move_up_and_down(client, database, demo_event):
    await organiser(client, database, demo_event)
    second = (await rooms(database, demo_event))[1]

    await post(client, f"/{demo_event}/organiser/programme-parts/room/{second.id}/move", {"to": "up"})

    assert [room.slug for room in await rooms(database, demo_event)][:2] == ["jade-room", "plenary-hall"]


async def test_second_organiser_saving_an_old_form_is_refused_with_the_first_ones_values(client, database, demo_event):
    await organiser(client, database, demo_event)
    jade = next(r for r in await rooms(database, demo_event) if r.slug == "jade-room")
    form = {**ROOM, "slug": "jade-room", "version": str(jade.version)}
    await post(client, f"/{demo_event}/organiser/programme-parts/room/{jade.id}", {**form, "name": "First"})

    second = await post(client, f"/{demo_event}/organiser/programme-parts/room/{jade.id}", {**form, "name": "Second"})

    assert second.status_code == 409
    assert page(second).xpath("//input[@id='part-name']/@value") == ["First"]
    assert [r.name for r in await rooms(database, demo_event) if r.id == jade.id] == ["First"]


async def test_another_events_room_and_non_organisers_get_404(client, database, demo_event):
    async with database.session() as db:
        event, _session = await other_event(db)
        foreign = Room(event_id=event.id, slug="elsewhere", name="Elsewhere")
        db.add(foreign)
        await db.commit()
        await staff(db, await get_event(db, slug=demo_event), Role.delegate, "delegate@example.org")
    await signed_in_as(client, database, "delegate@example.org")
    as_delegate = await client.get(f"/{demo_event}/organiser/programme-parts")
    await organiser(client, database, demo_event)

    foreign_page = await client.get(f"/{demo_event}/organiser/programme-parts/room/{foreign.id}")
    foreign_save = await post(client, f"/{demo_event}/organiser/programme-parts/room/{foreign.id}", ROOM)

    assert (as_delegate.status_code, foreign_page.status_code, foreign_save.status_code) == (404, 404, 404)


async def test_kinds_are_per_event_and_a_renamed_kind_filters_the_agenda(client, database, demo_event):
    await organiser(client, database, demo_event)
    async with database.session() as db:
        event = await get_event(db, slug=demo_event)
        kind = (await db.exec(select(EventSessionKind).where(EventSessionKind.slug == "plenary"))).one()

    await post(
        client,
        f"/{demo_event}/organiser/programme-parts/kind/{kind.id}",
        {"name": "Keynote", "slug": "keynote", "color": "", "behaviour": "plenary", "version": str(kind.version)},
    )
    filtered = page(await client.get(f"/{demo_event}/?kind=keynote"))

    async with database.session() as db:
        choices = await session_kind_choices(db, event)
        keynotes = (await db.exec(select(func.count()).select_from(Session).where(Session.kind == "keynote"))).one()
    assert choices[0] == ("keynote", "Keynote")
    assert keynotes > 0
    assert "Keynote" in filtered.xpath("//select[@id='filter-kind']/option/text()")


async def test_a_kind_behaving_as_a_break_cannot_be_picked(client, database, demo_event):
    await organiser(client, database, demo_event)
    await post(
        client,
        f"/{demo_event}/organiser/programme-parts/kind/new",
        {"name": "Coffee", "slug": "coffee", "color": "#663300", "behaviour": "break"},
    )
    async with database.session() as db:
        event = await get_event(db, slug=demo_event)
        session = await session_with_capacity(db, event, 10)
        session.kind = "coffee"  # as the session editor would set it
        db.add(session)
        await db.commit()
        (delegate,) = await delegates(db, event, 1)

    with pytest.raises(InvalidInput) as refused:
        async with database.session() as db:
            await pick_session(db, event=event, account=delegate, session_id=session.id)

    assert refused.value.message == "Breaks are for everyone: there is nothing to pick."
    session_page = page(await client.get(f"/{demo_event}/sessions/{session.code}"))
    assert session_page.xpath("//p[@class='pick-link']") == []


async def test_room_capacity_below_the_seats_taken_is_refused_with_the_count(client, database, demo_event):
    await organiser(client, database, demo_event)
    async with database.session() as db:
        event = await get_event(db, slug=demo_event)
        session = await session_with_capacity(db, event, 5)
        seated = await delegates(db, event, 2)
    for account in seated:
        async with database.session() as db:
            await pick_session(db, event=event, account=account, session_id=session.id)
    room = next(r for r in await rooms(database, demo_event) if r.id == session.room_id)
    form = {"name": room.name, "slug": room.slug, "description": room.description, "version": str(room.version)}

    refused = await post(client, f"/{demo_event}/organiser/programme-parts/room/{room.id}", {**form, "capacity": "1"})
    accepted = await post(client, f"/{demo_event}/organiser/programme-parts/room/{room.id}", {**form, "capacity": "2"})

    assert refused.status_code == 400
    assert page(refused).xpath("//p[@id='part-capacity-error']/text()") == [
        f"2 seats are already taken in “{session.title}”: the room needs at least 2."
    ]
    assert accepted.status_code == 303
    assert [r.capacity for r in await rooms(database, demo_event) if r.id == room.id] == [2]


async def test_kind_in_use_is_not_deleted_and_says_how_many_sessions(client, database, demo_event):
    await organiser(client, database, demo_event)
    async with database.session() as db:
        kind = (await db.exec(select(EventSessionKind).where(EventSessionKind.slug == "parallel"))).one()
        used = (await db.exec(select(func.count()).select_from(Session).where(Session.kind == "parallel"))).one()

    response = await post(client, f"/{demo_event}/organiser/programme-parts/kind/{kind.id}/delete")

    assert response.status_code == 409
    assert page(response).xpath("//p[@role='alert']/text()") == [
        f"{used} sessions are of this kind. Give them another kind first."
    ]
    async with database.session() as db:
        assert (await db.get(EventSessionKind, kind.id)) is not None
