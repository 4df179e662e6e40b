"""Messages to 2,000 delegates, on SQLite and PostgreSQL, with baselines measured in the same run.

1. Sending: an organiser's message to everyone registered (2,000 confirmed delegates), from the segment's
   query to every mail in the outbox (recipients and texts frozen, mails queued a hundred per transaction).
   Baseline: the same 2,000 mails added to the outbox in one transaction (``queue_mail``), the least any
   sender must write.
2. Delivering (into the log, no SMTP): the outbox's sender until every mail is marked sent (a claim per batch
   of 50, one mark per mail once it has left). Baseline: one UPDATE and commit per mail, the least a sender
   that marks each mail on its own must write.

Run: .venv/bin/python -m tests.bench.bench_messages [--rounds 3 --people 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import statistics
import tempfile
import time
from pathlib import Path

from sqlmodel import col, delete, select, update

from server.accounts.actors import Actor
from server.accounts.models import Account, Role
from server.agenda.interchange import DEMO_EVENT_FILE, import_event, parse_event_file
from server.db import Database, begin_write
from server.mail.delivery import deliver_pending
from server.mail.models import Message, MessageRecipient, MessageVersion, OutboxMail
from server.mail.services import queue_mail
from server.migrations import upgrade
from server.organising.messages import Draft, Text, send_message
from server.settings import Settings
from tests.support.databases import POSTGRES_ADMIN_URL, create_postgres_database, drop_postgres_database
from tests.support.factories import delegates, staff


class Links:
    def event_page(self, event_slug: str) -> str:
        return f"https://podium.example/{event_slug}/"


async def clear(database: Database) -> None:
    async with database.session() as db:
        await begin_write(db)
        for table in (MessageRecipient, MessageVersion, Message, OutboxMail):
            await db.exec(delete(table))
        await db.commit()


async def one_round(database: Database, settings: Settings, event, actor: Actor, addresses: list[str]) -> dict:
    figures = {}
    await clear(database)
    started = time.perf_counter()
    async with database.session() as db:
        for address in addresses:
            await queue_mail(db, recipient=address, subject="Doors open", body="At nine.\n" * 20)
        await db.commit()
    figures["baseline: 2,000 mails into the outbox, one transaction"] = time.perf_counter() - started

    started = time.perf_counter()
    async with database.session() as db:
        ids = list((await db.exec(select(OutboxMail.id))).all())
        await db.commit()
        for mail_id in ids:
            await begin_write(db)
            await db.exec(update(OutboxMail).where(col(OutboxMail.id) == mail_id).values(claim="x"))
            await db.commit()
    figures["baseline: one UPDATE and commit per mail"] = time.perf_counter() - started

    await clear(database)
    draft = Draft("registered", None, Text("Doors open", "At nine.\n" * 20), {}, secrets.token_urlsafe(24))
    started = time.perf_counter()
    await send_message(database, actor=actor, event=event, links=Links(), draft=draft)  # type: ignore[arg-type]
    figures["send: segment, freeze, queue every mail"] = time.perf_counter() - started

    started = time.perf_counter()
    while await deliver_pending(database, settings):
        pass
    figures["deliver: every mail marked sent (log)"] = time.perf_counter() - started
    return figures


async def bench(backend: str, rounds: int, people: int) -> None:
    admin_url = raw = ""
    with tempfile.TemporaryDirectory() as folder:
        if backend == "sqlite":
            url = f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        else:
            admin_url = POSTGRES_ADMIN_URL
            raw = await create_postgres_database(admin_url)
            url = raw.replace("postgresql://", "postgresql+asyncpg://", 1)
        try:
            await upgrade(url)
            settings = Settings.from_env({"PODIUM_ENV": "test", "PODIUM_DATABASE_URL": url})
            database = Database(url)
            async with database.session() as db:
                event = await import_event(db, document=parse_event_file(DEMO_EVENT_FILE.read_text(encoding="utf-8")))
                accounts = await delegates(db, event, people)
                organiser: Account = await staff(db, event, Role.organiser, "organiser@example.org")
            actor = Actor(account=organiser, roles=frozenset({Role.organiser}))
            results: dict[str, list[float]] = {}
            for _ in range(rounds):
                for name, seconds in (
                    await one_round(database, settings, event, actor, [a.email for a in accounts])
                ).items():
                    results.setdefault(name, []).append(seconds)
            await database.dispose()
        finally:
            if raw:
                await drop_postgres_database(admin_url, raw)
    print(f"\n{backend}, {people} recipients, {rounds} rounds")
    print(f"{'target':58} {'median s':>9} {'mails/s':>9}   rounds")
    for name, values in results.items():
        median = statistics.median(values)
        print(f"{name:58} {median:9.2f} {people / median:9.0f}   {', '.join(f'{v:.2f}' for v in values)}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--people", type=int, default=2000)
    parser.add_argument("--backends", default="sqlite,postgres")
    options = parser.parse_args()
    for backend in options.backends.split(","):
        asyncio.run(bench(backend, options.rounds, options.people))


if __name__ == "__main__":
    main()
