"""What a programme edit does to the public pages: they are cached by the event's version, so every edit they
show moves it on, in the edit's own transaction."""

from __future__ import annotations

from sqlmodel import col, update
from sqlmodel.ext.asyncio.session import AsyncSession

from server.events.models import Event


async def programme_changed(db: AsyncSession, *, event: Event) -> None:
    await db.exec(update(Event).where(col(Event.id) == event.id).values(version=col(Event.version) + 1))
