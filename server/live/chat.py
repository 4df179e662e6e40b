"""Chat with history; moderators delete messages (muting is in ``server.live.mutes``)."""

from __future__ import annotations

from sqlalchemy import bindparam
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from server.broadcast import Outcome
from server.clock import utcnow
from server.db import read_latest
from server.errors import Forbidden, NotFound
from server.i18n import gettext as _
from server.live.access import Participant, is_muted
from server.live.authors import authored_by
from server.live.inputs import clean_text
from server.live.models import ChatMessage, ChatStatus
from server.live.once import create_once
from server.live.room_log import append, fanout, room_write
from server.live.rules import can_moderate, in_room
from server.live.views import JSON, chat_view
from server.permissions import require

MAX_MESSAGE = 1000
PAGE = 50
MAX_HELD = 200  # the review queue a join brings; more wait for the next join


def _earlier(*, actor: Participant, session_id: int, client_id: str) -> SelectOfScalar[ChatMessage]:
    return select(ChatMessage).where(
        ChatMessage.session_id == session_id, ChatMessage.author_key == actor.key, ChatMessage.client_id == client_id
    )


async def send_message(db: AsyncSession, *, actor: Participant, session_id: int, text: str, client_id: str) -> Outcome:
    require(actor, in_room, session_id)
    if actor.account_id is None:
        raise Forbidden(_("Please sign in to chat."))
    text = clean_text(text, limit=MAX_MESSAGE)

    async def create() -> Outcome:
        await db.rollback()
        async with room_write(db, session_id=session_id) as room:
            if not room.chat_open and not actor.can_moderate:
                raise Forbidden(_("The chat is closed in this room."))
            if await is_muted(db, session_id=session_id, key=actor.key):
                raise Forbidden(_("A moderator has muted you in this room's chat."))
            # In a reviewed chat a message waits for a moderator; theirs go straight out.
            held = room.chat_reviewed and not actor.can_moderate
            status = ChatStatus.held if held else ChatStatus.shown
            message = ChatMessage(**authored_by(actor), text=text, client_id=client_id, status=status)
            db.add(message)
            await db.flush()
            view = chat_view(message)
            entry = append(db, room, kind="chat_held" if held else "chat", data=view)
            await db.commit()
        return Outcome(answer={"message": view}, messages=fanout([entry]))

    async def answer(message: ChatMessage) -> JSON:
        return {"message": chat_view(message)}

    earlier = _earlier(actor=actor, session_id=session_id, client_id=client_id)
    return await create_once(db, client_id=client_id, earlier=earlier, create=create, answer=answer)


async def delete_message(db: AsyncSession, *, actor: Participant, session_id: int, message_id: int) -> Outcome:
    require(actor, in_room, session_id)
    require(actor, can_moderate)
    async with room_write(db, session_id=session_id) as room:
        message = (
            await db.exec(
                select(ChatMessage).where(
                    ChatMessage.id == message_id,
                    ChatMessage.session_id == session_id,
                    col(ChatMessage.deleted_at).is_(None),
                )
            )
        ).first()
        if message is None:
            raise NotFound(_("There is no such message in this room."))
        message.deleted_at = utcnow()
        message.deleted_by = actor.account_id
        db.add(message)
        entry = append(db, room, kind="chat_removed", data={"id": message_id})
        await db.commit()
    return Outcome(answer={}, messages=fanout([entry]))


async def review_message(
    db: AsyncSession, *, actor: Participant, session_id: int, message_id: int, approve: bool
) -> Outcome:
    """A moderator lets a held message out to everyone (``approve``) or keeps it from them for good; its author
    is told either way."""
    require(actor, in_room, session_id)
    require(actor, can_moderate)
    async with room_write(db, session_id=session_id) as room:
        message = (
            await db.exec(
                select(ChatMessage).where(
                    ChatMessage.id == message_id,
                    ChatMessage.session_id == session_id,
                    ChatMessage.status == ChatStatus.held,
                    col(ChatMessage.deleted_at).is_(None),
                )
            )
        ).first()
        if message is None:
            raise NotFound(_("There is no such message waiting for review in this room."))
        message.status = ChatStatus.shown if approve else ChatStatus.rejected
        db.add(message)
        view = chat_view(message)
        entry = append(db, room, kind="chat" if approve else "chat_rejected", data=view)
        await db.commit()
    return Outcome(answer={"message": view}, messages=fanout([entry]))


# Built once: every join reads the held messages (see server.db.read_latest).
_HELD = (
    select(ChatMessage)
    .where(
        ChatMessage.session_id == bindparam("session_id"),
        ChatMessage.status == ChatStatus.held,
        col(ChatMessage.deleted_at).is_(None),
    )
    .order_by(col(ChatMessage.id))
    .limit(MAX_HELD)
)
_HELD_OF_AUTHOR = _HELD.where(ChatMessage.author_key == bindparam("author_key"))


async def held_messages(db: AsyncSession, *, session_id: int, author_key: str | None = None) -> list[JSON]:
    """Messages waiting for review, oldest first, as last committed: every one for moderators, or those of
    ``author_key``."""
    if author_key is None:
        rows = await read_latest(db, _HELD, {"session_id": session_id})
    else:
        rows = await read_latest(db, _HELD_OF_AUTHOR, {"session_id": session_id, "author_key": author_key})
    return [chat_view(ChatMessage(**row._mapping)) for row in rows]


async def recent_messages(db: AsyncSession, *, session_id: int, before: int | None = None) -> tuple[list[JSON], bool]:
    """Up to a page of messages (before message ``before``, when given), oldest first, and whether older
    ones exist: one more row is read than a page holds, so the answer costs no count."""
    statement = select(ChatMessage).where(
        ChatMessage.session_id == session_id,
        ChatMessage.status == ChatStatus.shown,
        col(ChatMessage.deleted_at).is_(None),
    )
    if before is not None:
        statement = statement.where(col(ChatMessage.id) < before)
    rows = (await db.exec(statement.order_by(col(ChatMessage.id).desc()).limit(PAGE + 1))).all()
    return [chat_view(message) for message in reversed(rows[:PAGE])], len(rows) > PAGE


async def chat_history(db: AsyncSession, *, actor: Participant, session_id: int, before: int) -> Outcome:
    require(actor, in_room, session_id)
    messages, more = await recent_messages(db, session_id=session_id, before=before)
    return Outcome(answer={"messages": messages, "more": more})
