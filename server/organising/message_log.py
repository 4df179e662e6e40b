"""The outbox log organisers read: an event's messages with their counts, and each message's recipients with
the status of their mail (pending: not in the outbox yet; queued; sent; failed, with the error)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import case, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.accounts.actors import Actor
from server.events.models import Event
from server.mail.models import Message, MessageRecipient, MessageVersion, OutboxMail
from server.organising.rules import can_message_participants
from server.permissions import require

LOG_PAGE = 200


@dataclass(frozen=True, slots=True)
class Progress:
    total: int
    queued: int
    sent: int
    failed: int

    @property
    def done(self) -> bool:
        return self.sent + self.failed >= self.total


@dataclass(frozen=True, slots=True)
class RecipientStatus:
    address: str
    name: str
    language: str
    status: str  # pending, queued, sent or failed
    sent_at: dt.datetime | None
    error: str


async def _progress(db: AsyncSession, messages: list[Message]) -> dict[int, Progress]:
    totals = {message.id: message.recipient_count for message in messages if message.id is not None}
    if not totals:
        return {}
    failed = case((col(OutboxMail.error) != "", 1), else_=0)
    rows = await db.exec(
        select(
            MessageRecipient.message_id,
            func.count(col(MessageRecipient.outbox_mail_id)),
            func.count(col(OutboxMail.sent_at)),
            func.coalesce(func.sum(failed), 0),
        )
        .join(OutboxMail, col(OutboxMail.id) == MessageRecipient.outbox_mail_id, isouter=True)
        .where(col(MessageRecipient.message_id).in_(totals))
        .group_by(col(MessageRecipient.message_id))
    )
    return {
        message_id: Progress(total=totals[message_id], queued=queued, sent=sent, failed=int(failed_count))
        for message_id, queued, sent, failed_count in rows.all()
    }


async def message_log(db: AsyncSession, *, actor: Actor, event: Event) -> list[tuple[Message, Progress]]:
    """The event's messages, newest first, each with its counts."""
    require(actor, can_message_participants, event)
    messages = (
        await db.exec(
            select(Message).where(Message.event_id == event.id).order_by(col(Message.id).desc()).limit(LOG_PAGE)
        )
    ).all()
    counts = await _progress(db, list(messages))
    empty = Progress(0, 0, 0, 0)
    return [(message, counts.get(message.id or 0, empty)) for message in messages]


async def progress_of(db: AsyncSession, message: Message) -> Progress:
    return (await _progress(db, [message])).get(message.id or 0, Progress(message.recipient_count, 0, 0, 0))


async def versions_of(db: AsyncSession, message: Message) -> list[tuple[MessageVersion, int]]:
    """The texts as sent, one per language among the recipients, each with how many got it."""
    rows = await db.exec(
        select(MessageVersion).where(MessageVersion.message_id == message.id).order_by(col(MessageVersion.language))
    )
    counts = dict(
        (
            await db.exec(
                select(MessageRecipient.language, func.count())
                .where(MessageRecipient.message_id == message.id)
                .group_by(col(MessageRecipient.language))
            )
        ).all()
    )
    return [(version, counts.get(version.language, 0)) for version in rows.all()]


async def recipient_statuses(db: AsyncSession, message: Message) -> list[RecipientStatus]:
    """Every recipient, the failed first, then by address."""
    rows = await db.exec(
        select(MessageRecipient, OutboxMail)
        .join(OutboxMail, col(OutboxMail.id) == MessageRecipient.outbox_mail_id, isouter=True)
        .where(MessageRecipient.message_id == message.id)
        .order_by(col(MessageRecipient.address))
    )
    statuses = []
    for recipient, mail in rows.all():
        if mail is None:
            status = "pending"
        elif mail.error:
            status = "failed"
        elif mail.sent_at is not None:
            status = "sent"
        else:
            status = "queued"
        statuses.append(
            RecipientStatus(
                address=recipient.address,
                name=recipient.name,
                language=recipient.language,
                status=status,
                sent_at=mail.sent_at if mail is not None else None,
                error=mail.error if mail is not None else "",
            )
        )
    return sorted(statuses, key=lambda row: row.status != "failed")
