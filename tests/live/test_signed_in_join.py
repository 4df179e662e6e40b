"""A signed-in join reads the person's session, roles and registration as last committed: a change made just before
it counts at once, in the process that made it and in another process on the same database (server/live/standing.py,
server/accounts/session_lookup.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import socketio

from server.accounts.models import Role, SessionRole
from server.accounts.services import grant_role, revoke_role, sign_out
from server.db import Database
from server.registration.services import cancel_registration
from tests.support.app_processes import AppProcess
from tests.support.live_clients import LiveClient, join_once
from tests.support.servers import LiveRoomsServer
from tests.support.world import World

pytestmark = [pytest.mark.integration, pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)]


@pytest.fixture
def two_servers(live_rooms: LiveRoomsServer, database_url: str) -> Iterator[tuple[str, str]]:
    """The URLs of this process's app (which makes the changes) and of `podium serve` in a process of its own."""
    other = AppProcess(database_url)
    try:
        yield live_rooms.url, other.url
    finally:
        other.stop()


async def joins(urls: tuple[str, str], session: int, cookie: str) -> list[dict[str, Any]]:
    return [await join_once(url, session, cookie=cookie) for url in urls]


def moderating(answers: list[dict[str, Any]]) -> list[bool]:
    """Whether each server's join answer lets the person moderate."""
    return [answer["me"]["can_moderate"] for answer in answers]


async def test_a_cancelled_registration_refuses_the_next_join_in_both_processes(
    world: World, database: Database, two_servers: tuple[str, str]
) -> None:
    room, person = world.session.id or 0, world.delegate
    before = await joins(two_servers, room, person.token)
    async with database.session() as db:
        await cancel_registration(db, event=world.event, account=person.account)
    after = await joins(two_servers, room, person.token)

    assert [answer["ok"] for answer in before] == [True, True]
    assert [(answer["ok"], answer["code"]) for answer in after] == [(False, "forbidden"), (False, "forbidden")]


async def test_a_role_granted_then_revoked_counts_at_the_next_join_in_both_processes(
    world: World, database: Database, two_servers: tuple[str, str]
) -> None:
    room, person = world.session.id or 0, world.delegate
    before = await joins(two_servers, room, person.token)
    async with database.session() as db:
        await grant_role(db, event=world.event, email=person.account.email, role=Role.moderator)
    granted = await joins(two_servers, room, person.token)
    async with database.session() as db:
        await revoke_role(db, event=world.event, email=person.account.email, role=Role.moderator)
    revoked = await joins(two_servers, room, person.token)

    assert (moderating(before), moderating(granted), moderating(revoked)) == (
        [False, False],
        [True, True],
        [False, False],
    )
    assert ["muted" in answer for answer in granted] == [True, True]  # the moderators' part of the answer


async def test_a_session_role_counts_in_its_session_only_in_both_processes(
    world: World, database: Database, two_servers: tuple[str, str]
) -> None:
    room, elsewhere, person = world.session.id or 0, world.second.id or 0, world.delegate
    before = await joins(two_servers, room, person.token)
    async with database.session() as db:
        db.add(
            SessionRole(
                event_id=world.event.id or 0, session_id=room, account_id=person.account.id or 0, role=Role.moderator
            )
        )
        await db.commit()
    in_room = await joins(two_servers, room, person.token)
    in_another = await joins(two_servers, elsewhere, person.token)

    assert (moderating(before), moderating(in_room), moderating(in_another)) == (
        [False, False],
        [True, True],
        [False, False],
    )


async def test_a_signed_out_session_is_refused_at_the_next_handshake_in_both_processes(
    world: World, database: Database, two_servers: tuple[str, str]
) -> None:
    room, person = world.session.id or 0, world.delegate
    before = await joins(two_servers, room, person.token)
    async with database.session() as db:
        await sign_out(db, session_token=person.token)
    refusals: list[Any] = []
    for url in two_servers:
        client = LiveClient()
        client.sio.on("connect_error", refusals.append, namespace="/live")
        with pytest.raises(socketio.exceptions.ConnectionError):
            await client.connect(url, cookie=person.token)
        await client.sio.shutdown()

    assert [answer["ok"] for answer in before] == [True, True]
    assert [(refusal["message"], refusal["data"]["code"]) for refusal in refusals] == [
        ("Please sign in to enter live rooms.", "unauthorised")
    ] * 2
