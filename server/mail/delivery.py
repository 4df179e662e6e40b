"""Delivers the outbox: over SMTP when configured, otherwise into the log, so a bare machine works end to end."""

from __future__ import annotations

import asyncio
import logging
from email.message import EmailMessage

from sqlmodel import col, select, update

from server.clock import utcnow
from server.db import Database, begin_write
from server.mail.models import OutboxMail
from server.settings import Settings

log = logging.getLogger("podium.mail")
POLL_SECONDS = 1.0


async def _send_smtp(settings: Settings, mail: OutboxMail) -> None:
    import aiosmtplib  # noqa: PLC0415 -- loaded only where SMTP is configured (else the outbox)

    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = mail.recipient
    message["Subject"] = mail.subject
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


async def deliver_pending(database: Database, settings: Settings, *, batch: int = 50) -> int:
    """Sends what is waiting. Each row is claimed with a conditional update, so several processes never
    send the same mail twice."""
    delivered = 0
    async with database.session() as db:
        waiting = (
            await db.exec(
                select(OutboxMail).where(col(OutboxMail.sent_at).is_(None), OutboxMail.error == "").limit(batch)
            )
        ).all()
        await db.commit()  # end the read: each claim below is a write transaction of its own
        for mail in waiting:
            await begin_write(db)
            claimed = await db.exec(
                update(OutboxMail)
                .where(col(OutboxMail.id) == mail.id, col(OutboxMail.sent_at).is_(None))
                .values(sent_at=utcnow())
            )
            await db.commit()
            if claimed.rowcount != 1:
                continue
            if not settings.smtp_host:
                log.info("outbox: mail to %s: %s\n%s", mail.recipient, mail.subject, mail.body)
                delivered += 1
                continue
            try:
                await _send_smtp(settings, mail)
                delivered += 1
            except Exception as exc:  # noqa: BLE001 (any SMTP failure is recorded on the row, not raised)
                await begin_write(db)
                await db.exec(
                    update(OutboxMail).where(col(OutboxMail.id) == mail.id).values(sent_at=None, error=str(exc)[:500])
                )
                await db.commit()
                log.error("outbox: could not send mail %s to %s: %s", mail.id, mail.recipient, exc)
    return delivered


async def run_delivery(database: Database, settings: Settings) -> None:
    while True:
        try:
            await deliver_pending(database, settings)
        except Exception:  # keep delivering after a passing database fault
            log.exception("outbox delivery failed")
        await asyncio.sleep(POLL_SECONDS)
