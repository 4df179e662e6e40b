"""An organiser removes a person from their event: the person's roles there end, their registration is
cancelled (freeing their seats for the waitlists), and their open live connections lose the event's rooms."""

from __future__ import annotations

from sqlmodel import col, delete, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from server.accounts.actors import Actor
from server.accounts.models import Account, EventRole, SessionRole
from server.accounts.revocations import Reason, record_revocation
from server.agenda.models import Person
from server.audit.services import record
from server.db import begin_write
from server.errors import InvalidInput, NotFound
from server.events.models import Event
from server.i18n import gettext as _
from server.permissions import require
from server.registration.locking import lock_event
from server.registration.models import Registration, RegistrationStatus
from server.registration.rules import can_remove_people
from server.registration.services import cancel_locked


async def remove_from_event(db: AsyncSession, *, actor: Actor, event: Event, account_id: int) -> Account:
    """Only the event's own people: anyone else (another event's, or nobody's) is "not found"."""
    require(actor, can_remove_people)
    if actor.account is not None and actor.account.id == account_id:
        raise InvalidInput(_("You cannot remove yourself from the event."))
    await begin_write(db)
    await lock_event(db, event=event)  # the registration's place may go to the waitlist
    registration = (
        await db.exec(
            select(Registration)
            .where(Registration.event_id == event.id, Registration.account_id == account_id)
            .with_for_update()
        )
    ).first()
    roles = await db.exec(
        delete(EventRole)
        .where(col(EventRole.event_id) == event.id, col(EventRole.account_id) == account_id)
        .returning(col(EventRole.role))
    )
    roles_held = list(roles.scalars().all())
    in_sessions = await db.exec(
        delete(SessionRole)
        .where(col(SessionRole.event_id) == event.id, col(SessionRole.account_id) == account_id)
        .returning(col(SessionRole.role))
    )
    had_role = bool(roles_held) or bool(in_sessions.scalars().all())
    status_before = registration.status if registration is not None else None
    active = registration is not None and registration.status != RegistrationStatus.cancelled
    if not (had_role or active):
        await db.rollback()
        raise NotFound(_("There is no such participant in this event."))
    if registration is not None and active:
        await cancel_locked(db, event=event, registration=registration)
    # The studio opens to agenda speakers linked to the account: the link goes with the speaker role.
    await db.exec(
        update(Person)
        .where(col(Person.event_id) == event.id, col(Person.account_id) == account_id)
        .values(account_id=None)
    )
    await record_revocation(db, account_id=account_id, event_id=event.id, reason=Reason.removed)
    account = await db.get_one(Account, account_id)
    record(
        db,
        actor=actor,
        event=event,
        action="person.remove",
        target_type="account",
        target_id=account_id,
        target_label=account.email,
        before={"roles": sorted(roles_held), "registration": status_before},
        after={"roles": [], "registration": registration.status if registration else None},
    )
    await db.commit()
    return account
