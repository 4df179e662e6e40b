"""Delivers the outbox: over SMTP when configured, otherwise into the log, so a bare machine works end to end.

A sender claims a mail (a conditional update: only an unclaimed mail, or one whose claim has outlived the lease
because its sender died mid-send), sends it, then marks it sent under its own claim: several processes never
send the same mail at once, and a mail whose sender was killed before it left is sent by the next. The one
window left is SMTP's own (RFC 1047): a sender killed after the server accepted the mail and before it marked
the mail sent. The mail's Message-ID is the same on every attempt, so mail programs show such a copy once."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import secrets
from email.message import EmailMessage

from sqlalchemy import ColumnElement
from sqlmodel import col, or_, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from server.clock import utcnow
from server.db import Database, begin_write
from server.mail.bulk import queue_interrupted_messages
from server.mail.models import OutboxMail
from server.settings import Settings

log = logging.getLogger("podium.mail")
POLL_SECONDS = 1.0
BATCH = 50
# Longer than the longest send (SMTP's timeout is 30 s): a live sender's claim is never taken over.
CLAIM_LEASE = dt.timedelta(minutes=2)


def _message_id(settings: Settings, mail: OutboxMail) -> str:
    """The same on every attempt at this mail."""
    domain = settings.mail_from.rpartition("@")[2].rstrip(">").strip() or "podium.invalid"
    return f"<outbox.{mail.id}.{mail.created_at:%Y%m%d%H%M%S}@{domain}>"


async def _send_smtp(settings: Settings, mail: OutboxMail) -> None:
    import aiosmtplib  # noqa: PLC0415 -- loaded only where SMTP is configured (else the outbox)

    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = mail.recipient
    message["Subject"] = mail.subject
    message["Message-ID"] = _message_id(settings, mail)
    message.set_content(mail.body)
    await aiosmtplib.send(
        message,
        hostname=settings.smtp_host,
        port=settings.smtp_port,
        username=settings.smtp_user or None,
        password=settings.smtp_password or None,
        start_tls=settings.smtp_starttls,
        timeout=30,
    )


def _claimable(now: dt.datetime, lease: dt.timedelta) -> tuple[ColumnElement[bool], ...]:
    return (
        col(OutboxMail.sent_at).is_(None),
        col(OutboxMail.error) == "",
        or_(col(OutboxMail.claimed_at).is_(None), col(OutboxMail.claimed_at) < now - lease),
    )


async def _claim(db: AsyncSession, *, batch: int, lease: dt.timedelta, claim: str) -> list[OutboxMail]:
    """Claims up to ``batch`` waiting mails in one statement; on PostgreSQL, rows another sender is claiming
    are skipped rather than waited for (and any it claimed fail the update's own re-check)."""
    now = utcnow()
    waiting = (
        select(OutboxMail.id)
        .where(*_claimable(now, lease))
        .order_by(col(OutboxMail.id))
        .limit(batch)
        .with_for_update(skip_locked=True)
    )
    if (await db.exec(select(OutboxMail.id).where(*_claimable(now, lease)).limit(1))).first() is None:
        await db.commit()
        return []  # nothing waits: no write transaction (an idle loop never takes SQLite's write lock)
    await begin_write(db)
    rows = await db.exec(
        update(OutboxMail)
        .where(col(OutboxMail.id).in_(waiting.scalar_subquery()), *_claimable(now, lease))
        .values(claimed_at=now, claim=claim)
        .returning(
            col(OutboxMail.id),
            col(OutboxMail.recipient),
            col(OutboxMail.subject),
            col(OutboxMail.body),
            col(OutboxMail.created_at),
        )
    )
    claimed = [
        OutboxMail(id=mail_id, recipient=recipient, subject=subject, body=body, created_at=created_at)
        for mail_id, recipient, subject, body, created_at in rows.all()
    ]
    await db.commit()
    return sorted(claimed, key=lambda mail: mail.id or 0)


async def deliver_pending(
    database: Database, settings: Settings, *, batch: int = BATCH, lease: dt.timedelta = CLAIM_LEASE
) -> int:
    """Sends what is waiting; the count sent. Each mail is marked sent (or failed) once it has left, under
    this sender's claim; mails still unsent when half the lease has passed are given back for another round,
    so a slow server never lets a second sender take over a mail this one is about to send."""
    delivered = 0
    claim = secrets.token_hex(8)
    started = utcnow()
    async with database.session() as db:
        claimed = await _claim(db, batch=batch, lease=lease, claim=claim)
        for mail in claimed:
            if utcnow() - started > lease / 2:
                await begin_write(db)
                await db.exec(
                    update(OutboxMail)
                    .where(
                        col(OutboxMail.claim) == claim, col(OutboxMail.sent_at).is_(None), col(OutboxMail.error) == ""
                    )
                    .values(claimed_at=None, claim="")
                )
                await db.commit()
                break
            outcome: dict[str, object] = {"sent_at": utcnow()}
            if not settings.smtp_host:
                log.info("outbox: mail to %s: %s\n%s", mail.recipient, mail.subject, mail.body)
            else:
                try:
                    await _send_smtp(settings, mail)
                except Exception as exc:  # noqa: BLE001 (any SMTP failure is recorded on the row, not raised)
                    outcome = {"error": str(exc)[:500] or type(exc).__name__}
                    log.error("outbox: could not send mail %s to %s: %s", mail.id, mail.recipient, exc)
            await begin_write(db)
            marked = await db.exec(
                update(OutboxMail)
                .where(col(OutboxMail.id) == mail.id, col(OutboxMail.claim) == claim, col(OutboxMail.sent_at).is_(None))
                .values(**outcome)
            )
            await db.commit()
            if marked.rowcount == 1 and "sent_at" in outcome:
                delivered += 1
    return delivered


async def run_delivery(database: Database, settings: Settings, *, lease: dt.timedelta = CLAIM_LEASE) -> None:
    """The outbox's sender: finishes queuing interrupted messages, then sends what waits; it rests a second
    once the outbox is empty."""
    while True:
        busy = False
        try:
            await queue_interrupted_messages(database)
            busy = await deliver_pending(database, settings, batch=BATCH, lease=lease) == BATCH
        except Exception:  # keep delivering after a passing database fault
            log.exception("outbox delivery failed")
        if not busy:
            await asyncio.sleep(POLL_SECONDS)
