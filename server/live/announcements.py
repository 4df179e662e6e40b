"""Announcements from the organisers to every live room of the event."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import bindparam
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.accounts.actors import Actor
from server.broadcast import Message, Outcome
from server.clock import utcnow
from server.db import read_latest
from server.errors import NotFound
from server.events.models import Event
from server.i18n import gettext as _
from server.live import audiences
from server.live.inputs import clean_text
from server.live.models import Announcement
from server.live.once import create_once
from server.live.rules import can_announce
from server.live.views import JSON, timestamp
from server.permissions import require

MAX_TEXT = 1000
CURRENT = 20


def announcement_view(announcement: Announcement) -> JSON:
    return _view(announcement.id or 0, announcement.text, announcement.created_at)


def _view(announcement_id: int, text: str, created_at: dt.datetime) -> JSON:
    return {"id": announcement_id, "text": text, "created_at": timestamp(created_at)}


def _author_key(actor: Actor) -> str:
    require(actor, can_announce)
    return f"a{actor.account_id}"


async def post_announcement(db: AsyncSession, *, actor: Actor, event: Event, text: str, client_id: str) -> Outcome:
    """Sends ``text`` to every live room of ``event``; join answers carry it from then on."""
    author_key = _author_key(actor)
    text = clean_text(text, limit=MAX_TEXT)
    event_id = event.id or 0

    async def create() -> Outcome:
        announcement = Announcement(event_id=event_id, author_key=author_key, text=text, client_id=client_id)
        db.add(announcement)
        await db.commit()
        view = announcement_view(announcement)
        message = Message(
            to=audiences.event(event_id), event="announcement", data={"event": event_id, "announcement": view}
        )
        return Outcome(answer={"announcement": view}, messages=[message])

    async def answer(announcement: Announcement) -> JSON:
        return {"announcement": announcement_view(announcement)}

    earlier = select(Announcement).where(
        Announcement.event_id == event_id, Announcement.author_key == author_key, Announcement.client_id == client_id
    )
    return await create_once(db, client_id=client_id, earlier=earlier, create=create, answer=answer)


async def remove_announcement(db: AsyncSession, *, actor: Actor, event: Event, announcement_id: int) -> Outcome:
    _author_key(actor)
    announcement = (
        await db.exec(
            select(Announcement).where(
                Announcement.id == announcement_id,
                Announcement.event_id == event.id,
                col(Announcement.removed_at).is_(None),
            )
        )
    ).first()
    if announcement is None:
        raise NotFound(_("There is no such announcement."))
    announcement.removed_at = utcnow()
    db.add(announcement)
    await db.commit()
    message = Message(
        to=audiences.event(event.id or 0), event="announcement_removed", data={"event": event.id, "id": announcement_id}
    )
    return Outcome(answer={}, messages=[message])


_CURRENT = (  # built once: every join runs it (see server.db.read_latest)
    select(Announcement.id, Announcement.text, Announcement.created_at)
    .where(Announcement.event_id == bindparam("event_id"), col(Announcement.removed_at).is_(None))
    .order_by(col(Announcement.id).desc())
    .limit(CURRENT)
)


async def current_announcements(db: AsyncSession, *, event_id: int) -> list[JSON]:
    """The latest announcements still standing, oldest first (as last committed: every join reads them)."""
    rows = await read_latest(db, _CURRENT, {"event_id": event_id})
    return [_view(*row) for row in reversed(rows)]
