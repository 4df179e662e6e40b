"""Uploaded schedule files kept between their preview and "Apply": one per person and event, a day at most."""

from __future__ import annotations

import datetime as dt

from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.accounts.actors import Actor
from server.clock import utcnow
from server.errors import NotFound
from server.events.models import Event
from server.i18n import gettext as _
from server.organising.models import PendingImport

KEPT_FOR = dt.timedelta(days=1)


async def store_pending(
    db: AsyncSession, *, actor: Actor, event: Event | None, filename: str, text: str
) -> PendingImport:
    """Keeps ``text`` for its "Apply"; the person's earlier upload for the event, and any day-old one, go."""
    account_id = actor.account_id or 0
    event_id = event.id if event is not None else None
    same = (col(PendingImport.event_id) == event_id) if event_id is not None else col(PendingImport.event_id).is_(None)
    await db.exec(delete(PendingImport).where(col(PendingImport.account_id) == account_id, same))
    await db.exec(delete(PendingImport).where(col(PendingImport.created_at) < utcnow() - KEPT_FOR))
    pending = PendingImport(event_id=event_id, account_id=account_id, filename=filename[:200], text=text)
    db.add(pending)
    await db.commit()
    await db.refresh(pending)
    return pending


async def load_pending(db: AsyncSession, *, actor: Actor, event: Event | None, pending_id: int) -> PendingImport:
    """Only the person's own upload, for this event: anything else is "not found"."""
    pending = (await db.exec(select(PendingImport).where(PendingImport.id == pending_id))).first()
    event_id = event.id if event is not None else None
    if pending is None or pending.account_id != actor.account_id or pending.event_id != event_id:
        raise NotFound(_("This upload is gone; please upload the file again."))
    if pending.created_at < utcnow() - KEPT_FOR:
        raise NotFound(_("This upload is gone; please upload the file again."))
    return pending
