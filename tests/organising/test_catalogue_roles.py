"""Who may open the rooms, tracks, kinds, people and materials pages: organisers only, everyone else "not found";
another event's objects are "not found" even to an organiser; a material for delegates opens for delegates only."""

from __future__ import annotations

import pytest
from sqlmodel import select

from server.accounts.models import Role
from server.agenda.models import Person, Room, SessionMaterial
from tests.support.factories import OTHER_SLUG, delegates, event_by_slug, other_event, sessions_of, staff
from tests.support.http import csrf, post, signed_in_as

pytestmark = pytest.mark.integration
ROLES = ("anonymous", "delegate", "speaker", "moderator", "organiser")


async def world(database, slug):
    async with database.session() as db:
        event = await event_by_slug(db, slug)
        await delegates(db, event, 1)
        for role in (Role.speaker, Role.moderator, Role.organiser):
            await staff(db, event, role, f"{role.value}@example.org")
    return await objects(database, slug)


async def objects(database, slug):
    """A room, a person and two materials of the event (one for delegates only), by id."""
    async with database.session() as db:
        event = await event_by_slug(db, slug)
        session = (await sessions_of(db, event))[0]
        room = (await db.exec(select(Room).where(Room.event_id == event.id))).first()
        person = (await db.exec(select(Person).where(Person.event_id == event.id))).first()
        public = SessionMaterial(
            event_id=event.id, session_id=session.id, kind="link", title="Open", url="https://example.org/a"
        )
        closed = SessionMaterial(
            event_id=event.id,
            session_id=session.id,
            kind="link",
            title="Closed",
            url="https://example.org/b",
            delegates_only=True,
            position=1,
        )
        db.add_all([public, closed])
        await db.commit()
        return {"session": session.code, "room": room.id, "person": person.id, "public": public.id, "closed": closed.id}


def email_of(role: str) -> str:
    return "delegate0@example.org" if role == "delegate" else f"{role}@example.org"


async def answers(client, slug, ids):
    forms = {
        "parts": client.get(f"/{slug}/organiser/programme-parts"),
        "room": client.get(f"/{slug}/organiser/programme-parts/room/{ids['room']}"),
        "people": client.get(f"/{slug}/organiser/programme-people"),
        "person": client.get(f"/{slug}/organiser/programme-people/{ids['person']}"),
        "materials": client.get(f"/{slug}/organiser/sessions/{ids['session']}/materials"),
        "public-material": client.get(f"/{slug}/materials/{ids['public']}"),
        "delegates-material": client.get(f"/{slug}/materials/{ids['closed']}"),
    }
    results = {name: (await request).status_code for name, request in forms.items()}
    results["room-delete"] = (
        await post(client, f"/{slug}/organiser/programme-parts/room/{ids['room']}/delete")
    ).status_code
    return results


EXPECTED = {
    # Signed out, the back-office pages and a material for delegates ask to sign in first.
    "anonymous": (303, 303, 303, 303, 303, 303, 303, 404),
    "delegate": (404, 404, 404, 404, 404, 303, 303, 404),
    "speaker": (404, 404, 404, 404, 404, 303, 303, 404),
    "moderator": (404, 404, 404, 404, 404, 303, 303, 404),
    "organiser": (200, 200, 200, 200, 200, 303, 303, 409),
}


@pytest.mark.parametrize("role", ROLES)
async def test_catalogue_role_matrix(client, database, demo_event, role):
    ids = await world(database, demo_event)
    if role != "anonymous":
        await signed_in_as(client, database, email_of(role))
    else:
        await csrf(client)

    results = await answers(client, demo_event, ids)

    assert tuple(results.values()) == EXPECTED[role]


@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
async def test_another_events_room_person_and_material_are_not_found(client, database, demo_event):
    await world(database, demo_event)
    async with database.session() as db:
        await other_event(db, copy_of_demo=True)
    ids = await objects(database, OTHER_SLUG)
    await signed_in_as(client, database, "organiser@example.org")
    slug = demo_event

    results = {
        "room": (await client.get(f"/{slug}/organiser/programme-parts/room/{ids['room']}")).status_code,
        "room-save": (
            await post(client, f"/{slug}/organiser/programme-parts/room/{ids['room']}", {"name": "x"})
        ).status_code,
        "room-move": (
            await post(client, f"/{slug}/organiser/programme-parts/room/{ids['room']}/move", {"to": "up"})
        ).status_code,
        "person": (await client.get(f"/{slug}/organiser/programme-people/{ids['person']}")).status_code,
        "person-delete": (await post(client, f"/{slug}/organiser/programme-people/{ids['person']}/delete")).status_code,
        "material": (await client.get(f"/{slug}/materials/{ids['public']}")).status_code,
        "material-delete": (
            await post(client, f"/{slug}/organiser/sessions/{ids['session']}/materials/{ids['public']}/delete")
        ).status_code,
    }

    assert results == dict.fromkeys(results, 404)
    async with database.session() as db:
        assert (await db.get(Room, ids["room"])) is not None
        assert (await db.get(Person, ids["person"])) is not None
        assert (await db.get(SessionMaterial, ids["public"])) is not None
