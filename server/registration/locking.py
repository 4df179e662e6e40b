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


async def locked_registration(db: AsyncSession, *, event: Event, account: Account) -> Registration:
    await begin_write(db)
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
