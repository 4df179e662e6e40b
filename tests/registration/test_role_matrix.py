"""Who may open what: every role against every registration route, and organisers against another event.

Modelled on pretix's permission matrix. People without the role get "not found" on the event's own pages;
anonymous visitors are sent to sign in (303) from a page, and get "not found" from a form's post or an export;
another event's objects are always "not found", never "forbidden".
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlmodel import select

from server.accounts.admin import grant_admin
from server.accounts.models import Account, Role
from server.registration.badges import check_in_code
from server.registration.models import Registration
from tests.support.factories import OTHER_SLUG, delegates, event_by_slug, other_event, staff
from tests.support.html import page
from tests.support.http import post, signed_in_as

pytestmark = pytest.mark.integration
ROLES = ("anonymous", "delegate", "speaker", "moderator", "checkin", "organiser", "admin")
ROUTES = (
    "participants",
    "dashboard",
    "csv",
    "checkin-desk",
    "checkin",
    "remove-person",
    "admin-accounts",
    "admin-disable",
    "admin-enable",
    "badge",
    "registration",
    "choose-sessions",
    "staff",
    "live-settings",
)
# One row per role, one column per route, in the order of ROUTES.
# Account-wide actions (disable, enable) belong to instance admins; an organiser removes people from their event.
EXPECTED = {
    "anonymous": (303, 303, 404, 303, 404, 404, 303, 404, 404, 303, 303, 303, 303, 303),
    "delegate": (200, 404, 404, 404, 404, 404, 404, 404, 404, 200, 200, 200, 404, 404),
    "speaker": (200, 404, 404, 404, 404, 404, 404, 404, 404, 404, 200, 303, 404, 404),
    "moderator": (200, 404, 404, 404, 404, 404, 404, 404, 404, 404, 200, 303, 404, 404),
    "checkin": (404, 404, 404, 200, 200, 404, 404, 404, 404, 404, 200, 303, 404, 404),
    "organiser": (200, 200, 200, 200, 200, 303, 404, 404, 404, 404, 200, 303, 200, 200),
    "admin": (404, 404, 404, 404, 404, 404, 200, 303, 303, 404, 200, 303, 404, 404),
}


@dataclass
class World:
    slug: str
    target: Account  # a delegate the organiser may remove from the event, and an admin may disable
    code: str  # a valid badge code of the event


async def build_world(database, settings, slug) -> World:
    async with database.session() as db:
        current = await event_by_slug(db, slug)
        (delegate, target) = await delegates(db, current, 2)
        for role in (Role.speaker, Role.moderator, Role.checkin, Role.organiser):
            await staff(db, current, role, f"{role.value}@example.org")
        registration = (await db.exec(select(Registration).where(Registration.account_id == delegate.id))).one()
        await grant_admin(db, email="admin@example.org")
    assert delegate.email == "delegate0@example.org"
    return World(slug=slug, target=target, code=check_in_code(registration, secret=settings.secret_key))


def email_of(role: str) -> str:
    return "delegate0@example.org" if role == "delegate" else f"{role}@example.org"


async def visit(client, world: World, route: str) -> int:
    slug = world.slug
    if route == "participants":
        answer = await client.get(f"/{slug}/participants")
    elif route == "dashboard":
        answer = await client.get(f"/{slug}/organiser")
    elif route == "csv":
        answer = await client.get(f"/{slug}/organiser/registrations.csv")
    elif route == "checkin-desk":
        answer = await client.get(f"/{slug}/checkin")
    elif route == "checkin":
        answer = await post(client, f"/{slug}/checkin", {"code": world.code})
    elif route == "remove-person":
        answer = await post(client, f"/{slug}/organiser/people/{world.target.id}/remove")
    elif route == "admin-accounts":
        answer = await client.get("/admin/accounts")
    elif route in {"admin-disable", "admin-enable"}:
        answer = await post(client, f"/admin/accounts/{world.target.id}/{route.split('-')[1]}")
    elif route == "badge":
        answer = await client.get(f"/{slug}/badge")
    elif route == "staff":
        answer = await client.get(f"/{slug}/organiser/staff")
    elif route == "live-settings":
        answer = await client.get(f"/{slug}/organiser/live")
    elif route == "registration":
        answer = await client.get(f"/{slug}/registration")
    elif route == "choose-sessions":
        answer = await client.get(f"/{slug}/registration/sessions")
    else:
        raise AssertionError(route)
    return answer.status_code


@pytest.mark.parametrize("role", ROLES)
async def test_role_matrix_own_event(client, database, settings, demo_event, role):
    world = await build_world(database, settings, demo_event)
    if role != "anonymous":
        await signed_in_as(client, database, email_of(role))

    answers = {route: await visit(client, world, route) for route in ROUTES}

    assert answers == dict(zip(ROUTES, EXPECTED[role], strict=True))


async def test_role_matrix_organiser_against_another_event_is_not_found(client, database, settings, demo_event):
    world = await build_world(database, settings, demo_event)
    async with database.session() as db:
        elsewhere, _ = await other_event(db, copy_of_demo=True)
        (stranger,) = await delegates(db, elsewhere, 1, prefix="stranger")
        registration = (await db.exec(select(Registration).where(Registration.account_id == stranger.id))).one()
    their_world = World(slug=OTHER_SLUG, target=stranger, code=check_in_code(registration, secret=settings.secret_key))
    await signed_in_as(client, database, "organiser@example.org")

    # Every organiser page of the other event, and its objects through our own event's pages.
    answers = {route: await visit(client, their_world, route) for route in ROUTES[:9]}
    through_ours = await post(client, f"/{demo_event}/organiser/people/{stranger.id}/remove")
    desk = await post(client, f"/{demo_event}/checkin", {"code": their_world.code})

    assert answers == dict.fromkeys(ROUTES[:9], 404)
    assert through_ours.status_code == 404
    assert page(desk).xpath("//*[@data-outcome]/@data-outcome") == ["other-event"]
    async with database.session() as db:
        assert (await db.get_one(Account, stranger.id)).disabled is False
        assert (await db.get_one(Registration, registration.id)).status == "confirmed"
    assert world.slug == demo_event


async def test_role_matrix_delegate_against_another_event_is_not_found(client, database, settings, demo_event):
    await build_world(database, settings, demo_event)
    async with database.session() as db:
        await other_event(db, copy_of_demo=True)
    await signed_in_as(client, database, "delegate0@example.org")

    assert (await client.get(f"/{OTHER_SLUG}/badge")).status_code == 404
    assert (await client.get(f"/{OTHER_SLUG}/participants")).status_code == 404
    assert (await post(client, f"/{OTHER_SLUG}/sessions/SD-1/pick")).status_code == 404
    assert (await post(client, f"/{OTHER_SLUG}/registration/cancel", {"confirm": "yes"})).status_code == 404
    assert (await client.get("/no-such-event/registration")).status_code == 404
