"""A message reaches each recipient once, even when the process queuing it or the one delivering it is killed
with -9 half-way and another takes over."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time

import httpx
import pytest
from sqlmodel import col, func, select

from server.db import Database
from server.mail.models import Message, MessageRecipient, OutboxMail
from tests.support.app_processes import ROOT, AppProcess
from tests.support.factories import delegates
from tests.support.html import page
from tests.support.http import ORIGIN, post, session_token, signed_in_as
from tests.support.message_cast import Cast
from tests.support.smtp_sink import SmtpSink

pytestmark = [pytest.mark.integration, pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)]

DELIVERY = """
import asyncio, datetime as dt
from server.db import Database
from server.mail.delivery import run_delivery
from server.settings import Settings
settings = Settings.from_env()
asyncio.run(run_delivery(Database(settings.database_url), settings, lease=dt.timedelta(seconds=1)))
"""


def delivery_process(database_url: str, smtp_port: int) -> subprocess.Popen[bytes]:
    """The outbox's delivery loop in a process of its own, sending to the sink, with a one-second lease."""
    env = {
        **os.environ,
        "PODIUM_ENV": "test",
        "PODIUM_DATABASE_URL": database_url,
        "PODIUM_SMTP_HOST": "127.0.0.1",
        "PODIUM_SMTP_PORT": str(smtp_port),
        "PODIUM_SMTP_STARTTLS": "false",
    }
    return subprocess.Popen([sys.executable, "-c", DELIVERY], env=env, cwd=ROOT, stderr=subprocess.DEVNULL)


async def until(check, what: str, *, timeout: float = 60, every: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(every)


async def mail_counts(database: Database) -> tuple[int, int, int]:
    """Outbox mails: in all, sent, claimed but not sent."""
    async with database.session() as db:
        total = (await db.exec(select(func.count()).select_from(OutboxMail))).one()
        sent = (await db.exec(select(func.count()).where(col(OutboxMail.sent_at).is_not(None)))).one()
        claimed = (
            await db.exec(
                select(func.count()).where(col(OutboxMail.claimed_at).is_not(None), col(OutboxMail.sent_at).is_(None))
            )
        ).one()
    return int(total), int(sent), int(claimed)


async def test_delivery_killed_mid_send_then_restarted_sends_each_mail_once(client, database, database_url, cast: Cast):
    slug = cast.event.slug
    async with database.session() as db:
        crowd = await delegates(db, cast.event, 10, prefix="crowd")
    everyone = sorted(cast.onsite + cast.online + [account.email for account in crowd])
    await signed_in_as(client, database, "organiser@example.org")
    key = page(await client.get(f"/{slug}/organiser/messages/new")).xpath("//input[@name='form_key']/@value")[0]
    form = {"segment": "registered", "subject": "Doors open", "body": "At nine.", "form_key": key, "action": "send"}
    sent = await post(client, f"/{slug}/organiser/messages/new", form)
    assert sent.status_code == 303
    sink = await SmtpSink(hold_at=4).start()
    sender = delivery_process(database_url, sink.port)
    try:
        await asyncio.wait_for(sink.holding.wait(), 60)  # the fourth mail's data is in, its answer held
        sender.send_signal(signal.SIGKILL)
        sender.wait(timeout=10)
        sink.release.set()
        at_the_kill = await mail_counts(database)
        sender = delivery_process(database_url, sink.port)

        async def all_sent() -> bool:
            return (await mail_counts(database))[1] == len(everyone)

        await until(all_sent, "every mail sent after the restart")
    finally:
        sender.kill()
        sender.wait(timeout=10)
        await sink.stop()
    shown = page(await client.get(sent.headers["location"]))

    # Three accepted; the fourth held when the sender died, and the rest of its batch claimed, never sent.
    assert at_the_kill == (len(everyone), 3, len(everyone) - 3)
    assert sorted(sink.recipients()) == everyone  # each exactly once
    assert len({mail["Message-ID"] for mail in sink.accepted}) == len(everyone)
    assert shown.xpath("//table[@id='recipients']//tbody/tr/@data-status") == ["sent"] * len(everyone)


async def test_two_senders_at_once_send_each_mail_once(client, database, database_url, cast: Cast):
    slug = cast.event.slug
    async with database.session() as db:
        crowd = await delegates(db, cast.event, 120, prefix="crowd")
    everyone = sorted(cast.onsite + cast.online + [account.email for account in crowd])
    await signed_in_as(client, database, "organiser@example.org")
    key = page(await client.get(f"/{slug}/organiser/messages/new")).xpath("//input[@name='form_key']/@value")[0]
    form = {"segment": "registered", "subject": "Doors open", "body": "At nine.", "form_key": key, "action": "send"}
    assert (await post(client, f"/{slug}/organiser/messages/new", form)).status_code == 303
    sink = await SmtpSink().start()
    senders = [delivery_process(database_url, sink.port) for _ in range(2)]
    try:

        async def all_sent() -> bool:
            return (await mail_counts(database))[1] == len(everyone)

        await until(all_sent, "every mail sent")
    finally:
        for sender in senders:
            sender.kill()
            sender.wait(timeout=10)
        await sink.stop()

    assert sorted(sink.recipients()) == everyone


async def test_app_killed_mid_queue_then_restarted_and_resubmitted_queues_each_recipient_once(
    database, database_url, cast: Cast
):
    slug = cast.event.slug
    async with database.session() as db:
        await delegates(db, cast.event, 800, prefix="crowd")
    total = 800 + len(cast.onsite) + len(cast.online)
    token = await session_token(database, "organiser@example.org")
    app = AppProcess(database_url)
    try:
        async with httpx.AsyncClient(base_url=app.url, headers={"origin": ORIGIN}) as browser:
            browser.cookies.set("podium_session", token)
            key = page(await browser.get(f"/{slug}/organiser/messages/new")).xpath("//input[@name='form_key']/@value")[
                0
            ]
            form = {
                "segment": "registered",
                "subject": "Doors open",
                "body": "At nine.",
                "form_key": key,
                "action": "send",
            }
            sending = asyncio.create_task(post(browser, f"/{slug}/organiser/messages/new", form))

            async def queued() -> int:
                async with database.session() as db:
                    return int(
                        (
                            await db.exec(select(func.count()).where(col(MessageRecipient.outbox_mail_id).is_not(None)))
                        ).one()
                    )

            async def some_queued() -> bool:
                return await queued() > 0

            await until(some_queued, "the first batch queued", timeout=120, every=0.002)
            app.kill()
            with pytest.raises(httpx.HTTPError):
                await sending
            at_the_kill = await queued()
            app.start()
            again = await post(browser, f"/{slug}/organiser/messages/new", form)

            async def all_sent() -> bool:
                return (await mail_counts(database))[1] == total

            await until(all_sent, "every mail sent after the restart", timeout=180)
    finally:
        app.stop()
    async with database.session() as db:
        messages = (await db.exec(select(Message))).all()
        per_address = (
            await db.exec(select(OutboxMail.recipient, func.count()).group_by(col(OutboxMail.recipient)))
        ).all()

    assert 0 < at_the_kill < total  # the kill landed in the middle of the queue
    assert again.status_code == 303
    assert len(messages) == 1 and messages[0].recipient_count == total
    assert len(per_address) == total and {count for _address, count in per_address} == {1}
