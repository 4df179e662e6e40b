"""Seats and waitlists under concurrency, on SQLite and PostgreSQL."""

import asyncio

import pytest
from sqlmodel import col, select

from server.agenda.models import Session
from server.errors import Conflict
from server.events.services import get_event
from server.mail.models import OutboxMail
from server.registration.models import ChoiceStatus, SessionChoice
from server.registration.seats import Clash, SessionFull, pick_session, unpick_session
from server.registration.services import cancel_registration, change_attendance
from tests.support.factories import delegates, session_with_capacity

pytestmark = pytest.mark.integration
BOTH = pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)


async def _statuses(database, session_id):
    async with database.session() as db:
        rows = (
            await db.exec(
                select(SessionChoice).where(SessionChoice.session_id == session_id).order_by(col(SessionChoice.id))
            )
        ).all()
    return [(row.registration_id, row.status) for row in rows]


@BOTH
async def test_seats_500_concurrent_picks_for_100_seats(database, demo_event):
    async with database.session() as db:
        event = await get_event(db, slug=demo_event)
        session = await session_with_capacity(db, event, 100)
        people = await delegates(db, event, 500)

    async def pick(account):
        async with database.session() as db:
            return await pick_session(db, event=event, account=account, session_id=session.id)

    results = await asyncio.gather(*(pick(account) for account in people), return_exceptions=True)

    assert [r for r in results if isinstance(r, BaseException)] == []
    statuses = await _statuses(database, session.id)
    assert len(statuses) == 500
    assert sum(1 for _, status in statuses if status == ChoiceStatus.confirmed) == 100
    assert sum(1 for _, status in statuses if status == ChoiceStatus.waitlisted) == 400
    # Seats went to the first 100 in commit order; the waitlist is everyone after.
    assert {status for _, status in statuses[:100]} == {ChoiceStatus.confirmed}

    # Cancellations promote in waitlist order.
    seated = [account for account in people if any(r == account.id for r, s in statuses[:3])]
    first_waiting = [registration for registration, _ in statuses[100:103]]
    for account in seated:
        async with database.session() as db:
            await unpick_session(db, event=event, account=account, session_id=session.id)
    after = dict(await _statuses(database, session.id))
    assert [after[registration] for registration in first_waiting] == [ChoiceStatus.confirmed] * 3
    assert after[statuses[103][0]] == ChoiceStatus.waitlisted
    assert sum(1 for status in after.values() if status == ChoiceStatus.confirmed) == 100
    async with database.session() as db:
        mails = (await db.exec(select(OutboxMail).where(col(OutboxMail.subject).startswith("A seat is yours")))).all()
    assert len(mails) == 3


async def test_seats_overlapping_onsite_picks_are_refused_online_allowed(database, demo_event):
    async with database.session() as db:
        event = await get_event(db, slug=demo_event)
        parallel = (
            await db.exec(
                select(Session).where(Session.event_id == event.id, Session.kind == "parallel").order_by(Session.start)
            )
        ).all()
        first = parallel[0]
        twin = next(s for s in parallel[1:] if s.start < first.end and s.end > first.start)
        (onsite,) = await delegates(db, event, 1, prefix="onsite")
        (online,) = await delegates(db, event, 1, attendance="online", prefix="online")

    async with database.session() as db:
        await pick_session(db, event=event, account=onsite, session_id=first.id)
    async with database.session() as db:
        with pytest.raises(Conflict, match="overlaps"):
            await pick_session(db, event=event, account=onsite, session_id=twin.id)
    for session in (first, twin):
        async with database.session() as db:
            choice = await pick_session(db, event=event, account=online, session_id=session.id)
            assert (choice.attendance, choice.status) == ("online", "confirmed")

    # Online → on site is refused while two picks overlap; nothing changes.
    async with database.session() as db:
        with pytest.raises(Conflict, match="overlaps"):
            await change_attendance(db, event=event, account=online, attendance="onsite")
    assert {status for _, status in await _statuses(database, twin.id)} == {"confirmed"}


async def test_seats_mode_change_frees_seat_and_full_session_blocks_onsite(database, demo_event):
    async with database.session() as db:
        event = await get_event(db, slug=demo_event)
        session = await session_with_capacity(db, event, 1)
        seated, waiting = await delegates(db, event, 2)
        (remote,) = await delegates(db, event, 1, attendance="online", prefix="remote")
    for account in (seated, waiting, remote):
        async with database.session() as db:
            await pick_session(db, event=event, account=account, session_id=session.id)

    async with database.session() as db:
        await change_attendance(db, event=event, account=seated, attendance="online")
    statuses = dict(await _statuses(database, session.id))
    assert sorted(statuses.values()) == ["confirmed", "confirmed", "confirmed"]

    async with database.session() as db:
        with pytest.raises(Conflict, match="No seats remain"):
            await change_attendance(db, event=event, account=remote, attendance="onsite")
    async with database.session() as db:
        await cancel_registration(db, event=event, account=waiting)
    async with database.session() as db:
        registration = await change_attendance(db, event=event, account=remote, attendance="onsite")
    assert registration.attendance == "onsite"


async def _overlapping_pair(db, event):
    parallel = (
        await db.exec(
            select(Session).where(Session.event_id == event.id, Session.kind == "parallel").order_by(Session.start)
        )
    ).all()
    first = parallel[0]
    return first, next(s for s in parallel[1:] if s.start < first.end and s.end > first.start)


@BOTH
async def test_seats_overlapping_picks_sent_together_keep_one(database, demo_event):
    async with database.session() as db:
        event = await get_event(db, slug=demo_event)
        first, twin = await _overlapping_pair(db, event)
        (account,) = await delegates(db, event, 1)

    async def pick(session_id):
        async with database.session() as db:
            return await pick_session(db, event=event, account=account, session_id=session_id)

    results = await asyncio.gather(pick(first.id), pick(twin.id), return_exceptions=True)

    refused = [result for result in results if isinstance(result, BaseException)]
    assert [type(error) for error in refused] == [Clash]
    picked = {session_id: await _statuses(database, session_id) for session_id in (first.id, twin.id)}
    assert sorted(len(rows) for rows in picked.values()) == [0, 1]


@BOTH
async def test_seats_repeated_pick_sent_together_is_one_pick(database, demo_event):
    async with database.session() as db:
        event = await get_event(db, slug=demo_event)
        session = await session_with_capacity(db, event, 1)
        (account,) = await delegates(db, event, 1)

    async def pick():
        async with database.session() as db:
            return await pick_session(db, event=event, account=account, session_id=session.id)

    choices = await asyncio.gather(*(pick() for _ in range(5)))

    assert {(choice.id, choice.status) for choice in choices} == {(choices[0].id, ChoiceStatus.confirmed)}
    assert await _statuses(database, session.id) == [(choices[0].registration_id, ChoiceStatus.confirmed)]


@BOTH
async def test_seats_last_seat_gone_refuses_a_pick_that_saw_seats(database, demo_event):
    async with database.session() as db:
        event = await get_event(db, slug=demo_event)
        session = await session_with_capacity(db, event, 1)
        seated, late = await delegates(db, event, 2)
    async with database.session() as db:
        await pick_session(db, event=event, account=seated, session_id=session.id)

    async with database.session() as db:
        with pytest.raises(SessionFull):
            await pick_session(db, event=event, account=late, session_id=session.id, waitlist=False)

    assert [status for _, status in await _statuses(database, session.id)] == [ChoiceStatus.confirmed]


@BOTH
async def test_seats_follow_the_capacity_an_organiser_sets_between_picks(database, demo_event):
    async with database.session() as db:
        event = await get_event(db, slug=demo_event)
        session = await session_with_capacity(db, event, 2)
        people = await delegates(db, event, 5)

    async def pick(account):
        async with database.session() as db:
            return await pick_session(db, event=event, account=account, session_id=session.id)

    await asyncio.gather(*(pick(account) for account in people[:3]))
    async with database.session() as db:
        await session_with_capacity(db, event, 3)
    await asyncio.gather(*(pick(account) for account in people[3:]))
    async with database.session() as db:
        await session_with_capacity(db, event, 0)
    (late,) = await delegates_named(database, event, "late")
    choice = await pick(late)

    assert [status for _, status in await _statuses(database, session.id)] == [
        ChoiceStatus.confirmed,
        ChoiceStatus.confirmed,
        ChoiceStatus.waitlisted,
        ChoiceStatus.confirmed,
        ChoiceStatus.waitlisted,
        ChoiceStatus.confirmed,  # no seats on site any more: the late delegate follows it online
    ]
    assert (choice.attendance, choice.status) == ("online", "confirmed")


async def delegates_named(database, event, prefix):
    async with database.session() as db:
        return await delegates(db, event, 1, prefix=prefix)
