"""The per-room event log: each change of a room gets the next ``seq`` in the transaction that makes it,
so what was acknowledged is in the log, and a client that missed broadcasts reads them back here."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.agenda.models import Session
from server.broadcast import Message
from server.db import begin_write
from server.errors import NotFound
from server.i18n import gettext as _
from server.live import audiences
from server.live.access import RoomRules, room_rules
from server.live.models import ChatMode, LiveRoom, Question, RoomLog
from server.live.views import AUDIENCE, JSON, MODERATORS, Viewer, project, question_for, question_view, room_view

# A client further behind than this gets a snapshot instead of the events.
MAX_CATCH_UP = 500


async def ensure_room(db: AsyncSession, *, session: Session) -> LiveRoom:
    """The session's live room, created with the event's defaults on first use. Commits."""
    session_id, event_id = session.id or 0, session.event_id
    room = await db.get(LiveRoom, session_id)
    if room is not None:
        return room
    rules = await room_rules(db, event_id=event_id, session_id=session_id)
    await db.rollback()  # begin_write starts its own transaction
    await begin_write(db)
    await _insert_room(db, session_id=session_id, event_id=event_id, rules=rules)
    await db.commit()
    return await db.get_one(LiveRoom, session_id)


async def _insert_room(db: AsyncSession, *, session_id: int, event_id: int, rules: RoomRules) -> None:
    """A new room starts with the session's live settings in effect (``server.live.event_settings``)."""
    # Two processes may create the same room at once: the second insert does nothing.
    dialect = db.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    statement = (
        insert(LiveRoom)
        .values(session_id=session_id, event_id=event_id, seq=0, qa_open=True, **room_switches(rules))
        .on_conflict_do_nothing(index_elements=["session_id"])
    )
    await db.exec(statement)


@asynccontextmanager
async def room_write(db: AsyncSession, *, session_id: int) -> AsyncIterator[LiveRoom]:
    """A write transaction holding the room: its row is locked, so changes of one room get their
    ``seq`` one after the other, on SQLite (BEGIN IMMEDIATE) and on PostgreSQL (FOR UPDATE) alike.
    The caller commits; leaving by an exception rolls back."""
    await begin_write(db)
    try:
        room = await _locked_room(db, session_id)
        if room is None:
            session = await db.get(Session, session_id)
            if session is None:
                raise NotFound(_("There is no such session."))
            rules = await room_rules(db, event_id=session.event_id, session_id=session_id)
            await _insert_room(db, session_id=session_id, event_id=session.event_id, rules=rules)
            room = await _locked_room(db, session_id)
            assert room is not None
        yield room
    except BaseException:
        await db.rollback()
        raise


async def _locked_room(db: AsyncSession, session_id: int) -> LiveRoom | None:
    statement = select(LiveRoom).where(LiveRoom.session_id == session_id).with_for_update()
    return (await db.exec(statement.execution_options(populate_existing=True))).first()


def room_switches(rules: RoomRules) -> dict[str, bool]:
    """The room's switches that the live settings decide: question review and the chat's mode."""
    return {
        "moderated": rules.moderated,
        "chat_open": rules.chat != ChatMode.off,
        "chat_reviewed": rules.chat == ChatMode.reviewed,
    }


def append(db: AsyncSession, room: LiveRoom, *, kind: str, data: JSON) -> RoomLog:
    """Adds the change to the log with the room's next ``seq``; committed with the change itself."""
    room.seq += 1
    db.add(room)
    entry = RoomLog(session_id=room.session_id, seq=room.seq, kind=kind, data=json.dumps(data, separators=(",", ":")))
    db.add(entry)
    return entry


def question_entry(question: Question, *, was_public: bool) -> JSON:
    return {"question": question_view(question), "was_public": was_public}


def event_for(entry: RoomLog, viewer: Viewer) -> JSON:
    kind, data = project(entry.kind, json.loads(entry.data), viewer)
    return {"session": entry.session_id, "seq": entry.seq, "kind": kind, "data": data}


def fanout(entries: Sequence[RoomLog]) -> list[Message]:
    """The broadcasts of committed entries: one view for moderators, one for the audience, the asker's
    own view of their question to all their connections, and a muted person's notice to theirs."""
    messages = []
    for entry in entries:
        data = json.loads(entry.data)
        for viewer, to in ((MODERATORS, audiences.moderators), (AUDIENCE, audiences.audience)):
            kind, view = project(entry.kind, data, viewer)
            messages.append(
                Message(
                    to=to(entry.session_id),
                    event="room_event",
                    data={"session": entry.session_id, "seq": entry.seq, "kind": kind, "data": view},
                )
            )
        if entry.kind == "question":
            full = data["question"]
            key = full["author"]["key"]
            own: Any = question_for(full, Viewer(key=key, moderator=False))
            messages.append(
                Message(
                    to=audiences.person(entry.session_id, key),
                    event="own_question",
                    data={"session": entry.session_id, "seq": entry.seq, "question": own},
                )
            )
        if entry.kind in ("chat_held", "chat_rejected"):
            messages.append(
                Message(
                    to=audiences.person(entry.session_id, data["author"]["key"]),
                    event="own_chat",
                    data={"session": entry.session_id, "seq": entry.seq, "message": data},
                )
            )
        if entry.kind == "mute":
            messages.append(
                Message(
                    to=audiences.person(entry.session_id, data["participant"]),
                    event="muted",
                    data={"session": entry.session_id, "seq": entry.seq, "muted": data["muted"]},
                )
            )
    return messages


async def since(db: AsyncSession, *, session_id: int, seq: int, current: int) -> list[RoomLog] | None:
    """The entries after ``seq``, in order; None when a snapshot serves better (too many, or bogus)."""
    if seq < 0 or seq > current or current - seq > MAX_CATCH_UP:
        return None
    if db.in_transaction():  # a read begun earlier (admitting an account) may predate ``current``
        await db.commit()
    rows = await db.exec(
        select(RoomLog)
        .where(RoomLog.session_id == session_id, col(RoomLog.seq) > seq, col(RoomLog.seq) <= current)
        .order_by(col(RoomLog.seq))
    )
    return list(rows.all())


async def room_entry(db: AsyncSession, room: LiveRoom) -> JSON:
    """The room's state as its log entry stores it (the highlighted question in full)."""
    session = await db.get_one(Session, room.session_id)
    highlighted = None
    if room.highlighted_question_id is not None:
        highlighted = await db.get(Question, room.highlighted_question_id)
    return room_view(room, title=session.title, highlighted=highlighted)
