"""The tools a person's roles give them in an event, for the navigation ("Your tools", "My account"): the
dashboard for organisers, the check-in desk for check-in staff, the console of each session they moderate, the
studio of each session they speak in. Each is what the page's own rule lets them open."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.accounts.models import Account, EventRole, Role, SessionRole
from server.agenda.models import Person, Session, SessionSpeaker
from server.events.models import Event
from server.registration.roles import roles_in


@dataclass
class Tools:
    event: Event
    dashboard: bool = False
    check_in: bool = False
    consoles: list[Session] = field(default_factory=list)  # sessions whose console (moderate page) they open
    studios: list[Session] = field(default_factory=list)  # sessions they speak in

    @property
    def any(self) -> bool:
        return self.dashboard or self.check_in or bool(self.consoles or self.studios)


async def tools_in(db: AsyncSession, *, account: Account | None, event: Event) -> Tools:
    tools = Tools(event=event)
    if account is None:
        return tools
    roles = await roles_in(db, account=account, event=event)
    tools.dashboard = Role.organiser in roles
    tools.check_in = bool(roles & {Role.organiser, Role.checkin})
    sessions = select(Session).where(Session.event_id == event.id).order_by(col(Session.start), col(Session.id))
    if roles & {Role.organiser, Role.moderator}:
        tools.consoles = list((await db.exec(sessions)).all())
    else:
        moderated = select(SessionRole.session_id).where(
            SessionRole.event_id == event.id, SessionRole.account_id == account.id, SessionRole.role == Role.moderator
        )
        tools.consoles = list((await db.exec(sessions.where(col(Session.id).in_(moderated)))).all())
    if Role.speaker in roles:
        spoken = (
            select(SessionSpeaker.session_id)
            .join(Person, col(Person.id) == col(SessionSpeaker.person_id))
            .where(Person.event_id == event.id, Person.account_id == account.id)
        )
        tools.studios = list((await db.exec(sessions.where(col(Session.id).in_(spoken)))).all())
    return tools


async def events_with_tools(db: AsyncSession, *, account: Account) -> list[Tools]:
    """Every event where the account holds a staff role, with its tools (for "My account")."""
    event_ids = set((await db.exec(select(EventRole.event_id).where(EventRole.account_id == account.id))).all()) | set(
        (await db.exec(select(SessionRole.event_id).where(SessionRole.account_id == account.id))).all()
    )
    if not event_ids:
        return []
    events = (await db.exec(select(Event).where(col(Event.id).in_(event_ids)).order_by(col(Event.id)))).all()
    found = [await tools_in(db, account=account, event=event) for event in events]
    return [tools for tools in found if tools.any]
