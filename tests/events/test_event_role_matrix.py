"""Who may open the Event section's addresses: every role of the event, an instance admin without a role, and
another event's organiser (for whom this event's pages do not exist)."""

from __future__ import annotations

import pytest

from server.accounts.models import Role
from server.db import Database
from server.events.models import Event
from tests.support import factories
from tests.support.http import as_person, post
from tests.support.world import World

pytestmark = [pytest.mark.integration, pytest.mark.parametrize("event_creators", ["anyone"])]

ROLES = ("anonymous", "delegate", "speaker", "moderator", "organiser", "admin", "other_organiser")
ROUTES = ("section", "unpublish-page", "clone-page", "publish", "unpublish", "new-event")
EXPECTED = {
    # Signed out, a staff page asks to sign in first; a post without the role is not found.
    "anonymous": (303, 303, 303, 404, 404, 303),
    "delegate": (404, 404, 404, 404, 404, 200),
    "speaker": (404, 404, 404, 404, 404, 200),
    "moderator": (404, 404, 404, 404, 404, 200),
    "organiser": (200, 200, 200, 303, 400, 200),
    "admin": (404, 404, 404, 404, 404, 200),
    "other_organiser": (404, 404, 404, 404, 404, 200),
}


async def test_the_event_section_answers_each_role_as_the_rules_say(web, world: World, database: Database):
    async with database.session() as db:
        other = await db.get_one(Event, world.other_event.id)
        other_organiser = await factories.person(db, other, "Other Organiser", role=Role.organiser)
    people = {**world.people, "anonymous": None, "other_organiser": other_organiser}
    base = f"/{world.event.slug}/organiser/event"

    seen = {}
    for role in ROLES:
        client = as_person(web, people[role])
        seen[role] = (
            (await client.get(base)).status_code,
            (await client.get(f"{base}/unpublish")).status_code,
            (await client.get(f"{base}/clone")).status_code,
            (await post(client, f"{base}/publish")).status_code,
            (await post(client, f"{base}/unpublish")).status_code,  # unconfirmed: nothing happens
            (await client.get("/events/new")).status_code,
        )

    assert seen == EXPECTED
    async with database.session() as db:
        assert (await db.get_one(Event, world.event.id)).published is True
