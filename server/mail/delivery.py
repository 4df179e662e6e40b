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

from server.clock import utcnow
from server.db import Database, begin_write
from server.mail.bulk import queue_interrupted_messages
from server.mail.models import OutboxMail
from server.settings import Settings

log = logging.getLogger("podium.mail")
POLL_SECONDS = 1.0
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


async def deliver_pending(
    database: Database, settings: Settings, *, batch: int = 50, lease: dt.timedelta = CLAIM_LEASE
) -> int:
    """Sends what is waiting; the count sent."""
    delivered = 0
    async with database.session() as db:
        waiting = (
            await db.exec(
                select(OutboxMail).where(*_claimable(utcnow(), lease)).order_by(col(OutboxMail.id)).limit(batch)
            )
        ).all()
        await db.commit()  # end the read: each claim below is a write transaction of its own
        for mail in waiting:
            claim = secrets.token_hex(8)
            await begin_write(db)
            claimed = await db.exec(
                update(OutboxMail)
                .where(col(OutboxMail.id) == mail.id, *_claimable(utcnow(), lease))
                .values(claimed_at=utcnow(), claim=claim)
            )
            await db.commit()
            if claimed.rowcount != 1:
                continue  # another sender has it
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
    """The outbox's sender: finishes queuing interrupted messages, then sends what waits, every second."""
    while True:
        try:
            await queue_interrupted_messages(database)
            await deliver_pending(database, settings, lease=lease)
        except Exception:  # keep delivering after a passing database fault
            log.exception("outbox delivery failed")
        await asyncio.sleep(POLL_SECONDS)
