"""Room tokens (the hall page's, and the older ask page's): a token expires, and a signed-in account that comes
with one counts as on site only if it may enter the room anyway."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import httpx
import lxml.html
import pytest

from server.db import Database
from server.errors import Forbidden
from server.live.access import (
    ROOM_TOKEN_LIFETIME_SECONDS,
    Identity,
    Unauthorised,
    admit,
    identify,
    room_token,
)
from server.settings import Settings
from tests.support import factories
from tests.support.http import as_person
from tests.support.world import World

pytestmark = pytest.mark.integration
BOTH_BACKENDS = pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
EXPIRED = "This room code has expired. Please scan the code on the room's screen again."


def token_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["token"][0]


@pytest.mark.parametrize(
    ("age", "status"), [(ROOM_TOKEN_LIFETIME_SECONDS - 60, 200), (ROOM_TOKEN_LIFETIME_SECONDS + 1, 404)]
)
async def test_a_room_code_opens_the_ask_page_for_two_hours(
    web: httpx.AsyncClient, world: World, database: Database, settings: Settings, age: int, status: int
) -> None:
    async with database.session() as db:
        await factories.set_live_settings(db, world.event, anonymous_guests=True)
    issued = time.time() - age
    token = room_token(
        settings.secret_key, event_id=world.event.id or 0, session_id=world.session.id or 0, issued_at=issued
    )

    page = await as_person(web, None).get(world.path("ask"), params={"token": token})

    assert page.status_code == status
    assert (EXPIRED in " ".join(lxml.html.fromstring(page.text).text_content().split())) == (status == 404)


async def test_an_expired_room_code_admits_nobody_to_the_live_room(
    world: World, database: Database, settings: Settings
) -> None:
    async with database.session() as db:
        await factories.set_live_settings(db, world.event, anonymous_guests=True)
    old = time.time() - ROOM_TOKEN_LIFETIME_SECONDS - 1
    token = room_token(
        settings.secret_key, event_id=world.event.id or 0, session_id=world.session.id or 0, issued_at=old
    )

    async with database.session() as db:
        with pytest.raises(Unauthorised) as refused:
            await identify(db, secret=settings.secret_key, account=None, room_token=token)
        signed_in = await identify(
            db, secret=settings.secret_key, account=world.people["delegate"].account, room_token=token
        )

    assert str(refused.value) == EXPIRED
    assert signed_in.grant is None  # the account still enters as itself, but not as someone in the hall


@BOTH_BACKENDS
@pytest.mark.parametrize(
    ("who", "guests", "expected"),
    [
        ("outsider", True, ("guest", None, "onsite")),
        ("outsider", False, "This room is open to people registered for the event."),
        ("delegate", False, ("account", "delegate", "onsite")),
        ("moderator", False, ("account", "moderator", "onsite")),
    ],
)
async def test_a_hall_code_counts_an_account_on_site_only_if_it_may_enter(
    world: World, database: Database, settings: Settings, who: str, guests: bool, expected: object
) -> None:
    async with database.session() as db:
        await factories.set_live_settings(db, world.event, anonymous_guests=guests)
    person = world.people[who]
    token = room_token(settings.secret_key, event_id=world.event.id or 0, session_id=world.session.id or 0)

    async with database.session() as db:
        identity = await identify(db, secret=settings.secret_key, account=person.account, room_token=token)
        try:
            participant = await admit(
                db, identity=identity, session_id=world.session.id or 0, secret=settings.secret_key
            )
        except Forbidden as refused:
            outcome: object = refused.message
        else:
            account_of = {world.people[name].account.id: name for name in world.people}
            outcome = (participant.kind, account_of.get(participant.account_id or -1), participant.origin)
            assert participant.key == Identity(account=person.account).key  # its questions stay its own

    assert outcome == expected
