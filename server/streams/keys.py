"""A session's publish token: derived from the secret key and the session's stored generation, rotated by raising it.

Every relay process reads the generation from the same database, so a rotated token is refused everywhere.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.accounts.actors import Actor
from server.agenda.models import Session
from server.clock import utcnow
from server.db import begin_write
from server.errors import NotFound, RateLimited
from server.events.models import Event
from server.i18n import gettext as _
from server.permissions import require
from server.streams.models import StreamKey
from server.streams.rules import can_rotate_token
from server.streams.tokens import publish_token

ROTATE_AT_MOST_EVERY = dt.timedelta(seconds=10)  # a double click, or a script, cannot churn the token

audit = logging.getLogger("podium.audit")


def stream_key(session_id: int) -> str:
    """The relay's name for a session's stream."""
    return str(session_id)


def session_id_of(key: str) -> int | None:
    """The session a relay's stream name stands for, or None for a name the app never hands out."""
    return int(key) if key.isdigit() and len(key) < 19 else None


@dataclass(frozen=True)
class PublishKey:
    token: str
    generation: int
    rotated_at: dt.datetime | None


async def current_generation(db: AsyncSession, *, session_id: int) -> int:
    """0 until the first rotation, so tokens handed out before any rotation stay valid."""
    row = await db.get(StreamKey, session_id, populate_existing=True)
    return row.generation if row is not None else 0


async def publish_key(db: AsyncSession, *, secret: str, session_id: int) -> PublishKey:
    """The token an encoder publishes this session with now. Callers decide who may see it."""
    row = await db.get(StreamKey, session_id, populate_existing=True)
    generation = row.generation if row is not None else 0
    return PublishKey(
        token=publish_token(secret, stream_key(session_id), generation),
        generation=generation,
        rotated_at=row.rotated_at if row is not None else None,
    )


async def rotate_publish_key(
    db: AsyncSession, *, actor: Actor, event: Event, session_id: int, secret: str, now: dt.datetime | None = None
) -> PublishKey:
    """A new token for the session; every earlier one is refused from now on. Moderators and organisers only;
    another event's session is "not found"."""
    require(actor, can_rotate_token)
    now = now or utcnow()
    await begin_write(db)
    session = (await db.exec(select(Session).where(Session.id == session_id, Session.event_id == event.id))).first()
    if session is None:
        await db.rollback()
        raise NotFound(_("There is no such session."))
    await _insert_key(db, session_id=session_id, event_id=event.id or 0)
    statement = select(StreamKey).where(StreamKey.session_id == session_id).with_for_update()
    key = (await db.exec(statement.execution_options(populate_existing=True))).one()
    if key.rotated_at is not None and _aware(key.rotated_at) > now - ROTATE_AT_MOST_EVERY:
        await db.rollback()
        raise RateLimited(_("The token was just rotated. Please wait a few seconds before rotating it again."))
    key.generation += 1
    key.rotated_at = now
    db.add(key)
    await db.commit()
    who = actor.account.id if actor.account is not None else None
    audit.info(
        "publish token of session %s rotated to generation %s by account %s",
        session_id,
        key.generation,
        who,
        extra={"event_id": event.id, "session_id": session_id, "generation": key.generation, "account_id": who},
    )
    return PublishKey(publish_token(secret, stream_key(session_id), key.generation), key.generation, key.rotated_at)


async def _insert_key(db: AsyncSession, *, session_id: int, event_id: int) -> None:
    # Two processes may rotate a never-rotated session at once: the second insert does nothing.
    insert = postgresql_insert if db.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = (
        insert(StreamKey)
        .values(session_id=session_id, event_id=event_id, generation=0, rotated_at=None)
        .on_conflict_do_nothing(index_elements=["session_id"])
    )
    await db.exec(statement)


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)
