"""Finding events. Every other service takes the event it works in."""

from __future__ import annotations

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.errors import NotFound
from server.events.models import Event
from server.i18n import gettext as _


async def list_events(db: AsyncSession) -> list[Event]:
    result = await db.exec(select(Event).order_by(Event.start_date.desc(), Event.title))  # type: ignore[attr-defined]
    return list(result.all())


async def get_event(db: AsyncSession, *, slug: str) -> Event:
    event = (await db.exec(select(Event).where(Event.slug == slug))).first()
    if event is None:
        raise NotFound(_("There is no event called '%(slug)s'.") % {"slug": slug})
    return event
