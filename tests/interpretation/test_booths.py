"""Booth services: one interpreter on air per channel, refusals with reasons, an atomic handover under concurrent
presses, the floor's language, and interpreters taken off air when their role goes."""

from __future__ import annotations

import asyncio

import pytest

from server.accounts.actors import Actor
from server.accounts.models import Account
from server.agenda.models import Session
from server.db import Database
from server.errors import Conflict, InvalidInput, NotFound
from server.events.models import Event
from server.interpretation import booths as service
from server.organising.staff import remove_staff
from server.registration.roles import actor_in
from tests.support.booths import Booths
from tests.support.factories import Person

pytestmark = [pytest.mark.integration, pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)]


async def _actor(database: Database, who: Person, event: Event, session: Session) -> Actor:
    async with database.session() as db:
        account = await db.get_one(Account, who.account.id)
        return await actor_in(db, account=account, event=event, session_id=session.id)


async def _press(database: Database, action, who: Person, booths: Booths, language: str = "ja", **more):
    world = booths.world
    actor = await _actor(database, who, world.event, world.session)
    async with database.session() as db:
        return await action(db, actor=actor, event=world.event, session=world.session, language=language, **more)


async def test_second_interpreter_is_refused_while_the_first_is_on_air(database: Database, booths: Booths) -> None:
    first = await _press(database, service.go_on_air, booths.ja_one, booths)
    with pytest.raises(Conflict) as refused:
        await _press(database, service.go_on_air, booths.ja_two, booths)
    async with database.session() as db:
        state = await service.booth_state(db, event=booths.world.event, session=booths.world.session, language="ja")

    assert (first.channel, first.on_air) == (f"{booths.world.session.id}_ja", f"a{booths.ja_one.account.id}")
    assert refused.value.message == "Aiko Booth is on air in this booth. Ask them to hand over, then take over."
    assert state["on_air"] == {"id": booths.ja_one.account.id, "name": "Aiko Booth"}


async def test_handover_moves_the_booth_once_the_partner_takes_over(database: Database, booths: Booths) -> None:
    await _press(database, service.go_on_air, booths.ja_one, booths)
    offered = await _press(database, service.hand_over, booths.ja_one, booths)
    taken = await _press(database, service.go_on_air, booths.ja_two, booths)
    with pytest.raises(Conflict):
        await _press(database, service.go_on_air, booths.ja_one, booths)

    assert (offered.view["handover"], offered.channel) == (True, None)  # still on air until taken over
    assert taken.view["on_air"]["id"] == booths.ja_two.account.id
    assert (taken.view["handover"], taken.on_air) == (False, f"a{booths.ja_two.account.id}")


async def test_concurrent_take_overs_leave_exactly_one_on_air(database: Database, booths: Booths) -> None:
    await _press(database, service.go_on_air, booths.ja_one, booths)
    await _press(database, service.hand_over, booths.ja_one, booths)
    # The offering interpreter withdraws while the partner takes over, twice over, all at once.
    results = await asyncio.gather(
        _press(database, service.go_on_air, booths.ja_two, booths),
        _press(database, service.go_on_air, booths.ja_two, booths),
        _press(database, service.hand_over, booths.ja_one, booths, offered=False),
        return_exceptions=True,
    )
    async with database.session() as db:
        state = await service.booth_state(db, event=booths.world.event, session=booths.world.session, language="ja")

    unexpected = [r for r in results if isinstance(r, Exception) and not isinstance(r, Conflict)]
    assert unexpected == []
    assert state["on_air"]["id"] in (booths.ja_one.account.id, booths.ja_two.account.id)
    moved = [r for r in results if not isinstance(r, Exception) and r.channel is not None]
    assert len(moved) <= 1  # one switch for the relay at most: nobody took over twice
    assert state["version"] == 2 + len([r for r in results if not isinstance(r, Exception) and r.messages])


async def test_language_without_a_channel_or_not_offered_is_refused(database: Database, booths: Booths) -> None:
    with pytest.raises(InvalidInput) as not_offered:
        await _press(database, service.go_on_air, booths.ja_one, booths, language="ko")
    with pytest.raises(NotFound):  # not their language: the booth is none of theirs
        await _press(database, service.go_on_air, booths.zh, booths, language="ja")

    assert not_offered.value.message in ("This event does not offer Korean.",)


async def test_interpreter_of_another_event_cannot_go_on_air_here(database: Database, booths: Booths) -> None:
    with pytest.raises(NotFound):
        await _press(database, service.go_on_air, booths.stranger, booths)


async def test_floor_language_is_for_moderators_and_among_the_event_languages(
    database: Database, booths: Booths
) -> None:
    world = booths.world
    change = await _press(database, _floor, world.moderator, booths, language="zh")
    with pytest.raises(InvalidInput):
        await _press(database, _floor, world.moderator, booths, language="ko")
    with pytest.raises(NotFound):
        await _press(database, _floor, booths.ja_one, booths, language="en")
    async with database.session() as db:
        stored = await service.floor_language(db, session=world.session)

    assert (change.view["language"], change.messages[0].to, stored) == ("zh", f"booths:{world.session.id}", "zh")


async def _floor(db, *, actor, event, session, language):
    return await service.set_floor_language(db, actor=actor, event=event, session=session, language=language)


async def test_removing_the_interpreter_role_takes_them_off_air(database: Database, booths: Booths) -> None:
    world = booths.world
    await _press(database, service.go_on_air, booths.ja_one, booths)
    organiser = await _actor(database, world.organiser, world.event, world.session)
    async with database.session() as db:
        changes = await remove_staff(
            db, actor=organiser, event=world.event, account_id=booths.ja_one.account.id or 0, role="interpreter"
        )
    async with database.session() as db:
        state = await service.booth_state(db, event=world.event, session=world.session, language="ja")

    assert [(c.channel, c.on_air) for c in changes] == [(f"{world.session.id}_ja", None)]
    assert state["on_air"] is None


async def test_moderators_setting_the_floor_at_once_leave_one_language(database: Database, booths: Booths) -> None:
    world = booths.world
    results = await asyncio.gather(
        *(
            _press(database, _floor, who, booths, language=language)
            for who, language in ((world.moderator, "ja"), (world.organiser, "zh"), (world.moderator, "en"))
        ),
        return_exceptions=True,
    )
    async with database.session() as db:
        stored = await service.floor_language(db, session=world.session)

    assert [r for r in results if isinstance(r, Exception)] == []
    assert stored in ("ja", "zh", "en")
