"""A person's registration locked for a change: every change to it or to its picks starts here, so two
changes by the same person (two tabs, a retry) run one after the other."""

from __future__ import annotations

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.accounts.models import Account
from server.db import begin_write
from server.errors import NotFound
from server.events.models import Event
from server.i18n import gettext as _
from server.registration.models import Registration, RegistrationStatus


async def lock_event(db: AsyncSession, *, event: Event) -> None:
    """Holds the event's row for the transaction: every change to who holds the event's places (a registration
    confirmed, waitlisted, promoted, cancelled; a limit changed) takes this lock first, before any registration's
    row, so places are counted and handed out one change at a time."""
    await db.exec(select(Event.id).where(Event.id == event.id).with_for_update())


async def locked_registration(
    db: AsyncSession, *, event: Event, account: Account, holding_places: bool = False
) -> Registration:
    """``holding_places``: the change may free or take one of the event's places (see ``lock_event``)."""
    await begin_write(db)
    if holding_places:
        await lock_event(db, event=event)
    registration = (
        await db.exec(
            select(Registration)
            .where(Registration.event_id == event.id, Registration.account_id == account.id)
            .with_for_update()
        )
    ).first()
    if registration is None or registration.status == RegistrationStatus.cancelled:
        raise NotFound(_("You are not registered for this event."))
    return registration
