"""Putting a message's mails into the outbox, a batch per transaction, resumable: each recipient's mail is
created in the transaction that links it to the recipient, under the message's lock, so a queue interrupted
by a crash and resumed (by a second submission of the form, or by any process's delivery loop) queues only
the recipients that never got one, and two queuers never queue the same recipient twice."""

from __future__ import annotations

from sqlalchemy import bindparam, insert
from sqlmodel import col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from server.clock import utcnow
from server.db import Database, begin_write
from server.mail.models import Message, MessageRecipient, MessageVersion, OutboxMail

QUEUE_BATCH = 100  # recipients per transaction: short write locks, progress visible while queuing


async def _queue_batch(db: AsyncSession, message_id: int, versions: dict[str, MessageVersion]) -> int:
    """Queues the next batch of the message's unqueued recipients; the count queued (0: all are)."""
    await begin_write(db)
    message = (await db.exec(select(Message).where(Message.id == message_id).with_for_update())).one()
    if message.queued_at is not None:
        await db.commit()
        return 0
    waiting = (
        await db.exec(
            select(MessageRecipient.id, MessageRecipient.address, MessageRecipient.language)
            .where(MessageRecipient.message_id == message_id, col(MessageRecipient.outbox_mail_id).is_(None))
            .order_by(col(MessageRecipient.id))
            .limit(QUEUE_BATCH)
        )
    ).all()
    if not waiting:
        message.queued_at = utcnow()
        db.add(message)
        await db.commit()
        return 0
    now = utcnow()
    mails = []
    for _id, address, language in waiting:
        version = versions.get(language) or versions.get("") or next(iter(versions.values()))
        mails.append(
            {
                "recipient": address,
                "subject": version.subject,
                "body": version.body,
                "created_at": now,
                "claim": "",
                "error": "",
            }
        )
    connection = await db.connection()
    # One statement for the batch; its rows come back in no promised order, but each address once in a message.
    created = await connection.execute(
        insert(OutboxMail).returning(col(OutboxMail.id), col(OutboxMail.recipient)), mails
    )
    recipient_ids = {address: recipient_id for recipient_id, address, _language in waiting}
    await connection.execute(
        update(MessageRecipient)
        .where(col(MessageRecipient.id) == bindparam("recipient"))
        .values(outbox_mail_id=bindparam("mail")),
        [{"recipient": recipient_ids[address], "mail": mail_id} for mail_id, address in created.all()],
    )
    await db.commit()
    return len(waiting)


async def queue_message(database: Database, message_id: int) -> int:
    """Queues every recipient of the message not queued yet; the count this call queued."""
    queued = 0
    async with database.session() as db:
        rows = (await db.exec(select(MessageVersion).where(MessageVersion.message_id == message_id))).all()
        versions = {row.language: row for row in rows}
        await db.commit()
        while batch := await _queue_batch(db, message_id, versions):
            queued += batch
    return queued


async def queue_interrupted_messages(database: Database) -> int:
    """Finishes queuing the messages whose queuing stopped half-way (their process died)."""
    async with database.session() as db:
        waiting = (await db.exec(select(Message.id).where(col(Message.queued_at).is_(None)))).all()
    queued = 0
    for message_id in waiting:
        if message_id is not None:
            queued += await queue_message(database, message_id)
    return queued
