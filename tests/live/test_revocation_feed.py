"""The revocation feed reads every revocation once, even when PostgreSQL commits them out of id order."""

from __future__ import annotations

import pytest
from sqlmodel import select

from server.accounts.models import Account, Revocation
from server.accounts.revocations import KEPT_FOR, Reason, RevocationFeed, prune_revocations, record_revocation
from server.clock import utcnow
from server.db import Database

pytestmark = [pytest.mark.integration, pytest.mark.postgres]


async def account_id(database: Database) -> int:
    async with database.session() as db:
        account = Account(email="revoked@example.org")
        db.add(account)
        await db.commit()
        return account.id or 0


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
async def test_feed_reads_a_revocation_committed_after_a_later_one(database: Database) -> None:
    someone = await account_id(database)
    feed = RevocationFeed()
    async with database.session() as db:
        assert await feed.poll(db, now=0.0) == []  # starts from what is committed now
    async with database.session() as slow, database.session() as fast:
        await record_revocation(slow, account_id=someone, reason=Reason.disabled)
        await slow.flush()  # takes its id first
        await record_revocation(fast, account_id=someone, reason=Reason.signed_out)
        await fast.commit()
        async with database.session() as db:
            first = await feed.poll(db, now=1.0)
        await slow.commit()
    async with database.session() as db:
        second = await feed.poll(db, now=2.0)
    async with database.session() as db:
        third = await feed.poll(db, now=3.0)

    assert [revoked.reason for revoked in first] == ["signed_out"]
    assert [revoked.reason for revoked in second] == ["disabled"]
    assert third == []
    assert second[0].id < first[0].id


@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
async def test_feed_gives_up_on_a_gap_left_by_a_rollback(database: Database, backend: str) -> None:
    someone = await account_id(database)
    feed = RevocationFeed()
    async with database.session() as db:
        await feed.poll(db, now=0.0)
    async with database.session() as db:
        await record_revocation(db, account_id=someone, reason=Reason.disabled)
        await db.flush()
        await db.rollback()
    async with database.session() as db:
        await record_revocation(db, account_id=someone, reason=Reason.signed_out)
        await db.commit()
    async with database.session() as db:
        seen = await feed.poll(db, now=1.0)
    waiting = dict(feed.missing)
    async with database.session() as db:
        later = await feed.poll(db, now=1.0 + feed.GAP_WAIT + 1)

    assert [revoked.reason for revoked in seen] == ["signed_out"]
    assert later == []
    assert feed.missing == {}
    # PostgreSQL's sequence skipped the rolled-back id, awaited for a while; SQLite gives it out again.
    assert len(waiting) == (1 if backend == "postgres" else 0)


@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
async def test_prune_keeps_only_recent_revocations(database: Database) -> None:
    someone = await account_id(database)
    now = utcnow()
    async with database.session() as db:
        await record_revocation(db, account_id=someone, reason=Reason.disabled, now=now - KEPT_FOR * 2)
        await record_revocation(db, account_id=someone, reason=Reason.signed_out, now=now)
        await db.commit()

    async with database.session() as db:
        await prune_revocations(db, now=now)
        kept = (await db.exec(select(Revocation.reason))).all()

    assert kept == ["signed_out"]
