"""Queueing mail in the caller's transaction, so a mail exists exactly when the change that caused it does."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from server.mail.models import OutboxMail


async def queue_mail(db: AsyncSession, *, recipient: str, subject: str, body: str) -> OutboxMail:
    mail = OutboxMail(recipient=recipient, subject=subject[:300], body=body)
    db.add(mail)
    return mail
