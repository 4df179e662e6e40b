"""An account's roles in an event: those granted (moderator, organiser, ...) and delegate for a confirmed
registration. Here rather than in accounts, which registration builds on."""

from __future__ import annotations

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.accounts.actors import Actor
from server.accounts.models import LANGUAGE_ROLES, Account, EventRole, Role, RoleLanguage, SessionRole
from server.events.models import Event
from server.registration.models import Registration, RegistrationStatus


async def roles_in(
    db: AsyncSession, *, account: Account | None, event: Event, session_id: int | None = None
) -> frozenset[Role]:
    """Roles granted in the event, and in the session ``session_id`` when the question is about one (a session's
    moderator moderates that session only); a confirmed registration makes a delegate."""
    if account is None:
        return frozenset()
    granted = (
        await db.exec(select(EventRole.role).where(EventRole.event_id == event.id, EventRole.account_id == account.id))
    ).all()
    roles = {Role(role) for role in granted}
    if session_id is not None:
        in_session = await db.exec(
            select(SessionRole.role).where(
                SessionRole.event_id == event.id,
                SessionRole.session_id == session_id,
                SessionRole.account_id == account.id,
            )
        )
        roles.update(Role(role) for role in in_session.all())
    registered = (
        await db.exec(
            select(Registration.id).where(
                Registration.event_id == event.id,
                Registration.account_id == account.id,
                Registration.status == RegistrationStatus.confirmed,
            )
        )
    ).first()
    if registered is not None:
        roles.add(Role.delegate)
    return frozenset(roles)


async def languages_in(
    db: AsyncSession, *, account: Account | None, event: Event, roles: frozenset[Role]
) -> frozenset[tuple[Role, str]]:
    """The languages of the per-language roles among ``roles`` (no query when there are none)."""
    if account is None or not roles & LANGUAGE_ROLES:
        return frozenset()
    rows = await db.exec(
        select(RoleLanguage.role, RoleLanguage.language).where(
            RoleLanguage.event_id == event.id, RoleLanguage.account_id == account.id
        )
    )
    return frozenset((Role(role), language) for role, language in rows.all())


async def actor_in(db: AsyncSession, *, account: Account | None, event: Event, session_id: int | None = None) -> Actor:
    roles = await roles_in(db, account=account, event=event, session_id=session_id)
    return Actor(
        account=account, roles=roles, languages=await languages_in(db, account=account, event=event, roles=roles)
    )
