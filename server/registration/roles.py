"""An account's roles in an event: those granted (moderator, organiser, ...) and delegate for a confirmed
registration. Here rather than in accounts, which registration builds on."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.accounts.actors import Actor
from server.accounts.models import LANGUAGE_ROLES, Account, EventRole, Role, RoleLanguage, SessionRole
from server.events.models import Event
from server.registration.models import Registration, RegistrationStatus


def delegate_registration(event_id: Any, account_id: Any) -> list[ColumnElement[bool]]:
    """The registration that makes an account a delegate of an event (a confirmed one), as conditions on
    ``Registration`` for a query by values or by other columns (server/live/standing.py joins it)."""
    return [
        col(Registration.event_id) == event_id,
        col(Registration.account_id) == account_id,
        col(Registration.status) == RegistrationStatus.confirmed,
    ]


def combined_roles(granted: Iterable[str], *, registered: bool) -> frozenset[Role]:
    """The roles granted (in the event, and in the session asked about) and delegate for a delegate registration."""
    roles = {Role(role) for role in granted}
    if registered:
        roles.add(Role.delegate)
    return frozenset(roles)


async def roles_in(
    db: AsyncSession, *, account: Account | None, event: Event, session_id: int | None = None
) -> frozenset[Role]:
    """Roles granted in the event, and in the session ``session_id`` when the question is about one (a session's
    moderator moderates that session only); a confirmed registration makes a delegate."""
    if account is None:
        return frozenset()
    granted = list(
        (
            await db.exec(
                select(EventRole.role).where(EventRole.event_id == event.id, EventRole.account_id == account.id)
            )
        ).all()
    )
    if session_id is not None:
        in_session = await db.exec(
            select(SessionRole.role).where(
                SessionRole.event_id == event.id,
                SessionRole.session_id == session_id,
                SessionRole.account_id == account.id,
            )
        )
        granted.extend(in_session.all())
    registered = (await db.exec(select(Registration.id).where(*delegate_registration(event.id, account.id)))).first()
    return combined_roles(granted, registered=registered is not None)


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
