"""An event's rules for its live rooms, set by its organisers."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from server.accounts.actors import Actor
from server.errors import InvalidInput
from server.events.models import Event
from server.i18n import gettext as _
from server.live.access import live_settings
from server.live.models import LiveSettings, OnlineEntry
from server.live.rules import can_change_live_settings
from server.permissions import require


async def update_live_settings(
    db: AsyncSession,
    *,
    actor: Actor,
    event: Event,
    anonymous_guests: bool | None = None,
    online_entry: str | None = None,
    moderated: bool | None = None,
) -> LiveSettings:
    """Anonymous guests by room code; online entry for the event's or the session's registrants;
    whether new rooms review questions before showing them. Rooms already open keep their own
    ``moderated`` switch."""
    require(actor, can_change_live_settings)
    if online_entry is not None and online_entry not in set(OnlineEntry):
        raise InvalidInput(_("Online entry is for those registered for the event or for the session."))
    row = await live_settings(db, event_id=event.id or 0)
    for name, value in (
        ("anonymous_guests", anonymous_guests),
        ("online_entry", online_entry),
        ("moderated", moderated),
    ):
        if value is not None:
            setattr(row, name, value)
    db.add(row)
    await db.commit()
    return row
