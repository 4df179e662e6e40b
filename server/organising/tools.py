"""The tools a person's roles give them in an event, for the navigation ("Your tools", "My account"): the
dashboard for organisers, the check-in desk for check-in staff, the console of each session they moderate, the
studio of each session they speak in, the booth of each channel they interpret. Each is what the page's own rule
lets them open."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.accounts.models import Account, EventRole, Role, RoleLanguage, SessionRole
from server.agenda.models import Person, Session, SessionSpeaker
from server.events.models import Event
from server.formats import language_name
from server.interpretation.models import ChannelPlan
from server.registration.roles import roles_in


@dataclass
class Tools:
    event: Event
    dashboard: bool = False
    check_in: bool = False
    consoles: list[Session] = field(default_factory=list)  # sessions whose console (moderate page) they open
    studios: list[Session] = field(default_factory=list)  # sessions they speak in
    booths: list[Booth] = field(default_factory=list)  # channels they interpret in

    @property
    def any(self) -> bool:
        return self.dashboard or self.check_in or bool(self.consoles or self.studios or self.booths)


@dataclass(frozen=True, slots=True)
class Booth:
    session: Session
    language: str
    language_name: str


async def _booths(db: AsyncSession, *, account: Account, event: Event, sessions: list[Session]) -> list[Booth]:
    """The channels running in the interpreter's languages, session by session (plans read once)."""
    served = set(
        (
            await db.exec(
                select(RoleLanguage.language).where(
                    RoleLanguage.event_id == event.id,
                    RoleLanguage.account_id == account.id,
                    RoleLanguage.role == Role.interpreter,
                )
            )
        ).all()
    )
    plans = (await db.exec(select(ChannelPlan).where(ChannelPlan.event_id == event.id))).all()
    own: dict[int | None, list[str]] = {plan.session_id: plan.language_list for plan in plans if plan.session_id}
    rooms = {plan.room_id: plan.language_list for plan in plans if plan.session_id is None}
    booths = []
    for session in sessions:
        planned = own.get(session.id, rooms.get(session.room_id, []))
        booths += [
            Booth(session, code, language_name(code))
            for code in event.language_list
            if code in planned and code in served
        ]
    return booths


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
    if Role.interpreter in roles:
        tools.booths = await _booths(db, account=account, event=event, sessions=list((await db.exec(sessions)).all()))
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
