"""Where a person stands in one session's room: the session's event, their roles, their confirmed registration and
pick of the session, and the room's live settings, read in one statement as last committed. A crowd of signed-in
delegates joining at a session's start costs one indexed read each, not eight through the ORM; and, read fresh at
every join, a role or a registration changed in any process counts at once: nothing is kept to go stale."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Executable, and_, bindparam, select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from server.accounts.models import EventRole, Role, SessionRole
from server.agenda.models import Session
from server.db import read_latest
from server.events.models import Event
from server.live.models import LiveSettings, SessionLiveSettings
from server.registration.models import ChoiceStatus, Registration, SessionChoice
from server.registration.roles import combined_roles, delegate_registration

RULE_FIELDS = ("anonymous_guests", "online_entry", "moderated", "chat")


@dataclass(frozen=True, slots=True)
class EventShown:
    """What the event's visibility rule (``server.accounts.rules.can_see_event``) reads of the event."""

    id: int
    published: bool


@dataclass(frozen=True, slots=True)
class Registered:
    """The person's confirmed registration for the event, as a room shows it."""

    name: str
    attendance: str
    country: str
    picked_session: bool  # a confirmed pick of this session


@dataclass(frozen=True, slots=True)
class Standing:
    event: EventShown
    # Granted in the event and in this session, and delegate for a confirmed registration: ``roles_in``'s rule
    # (server/registration/roles.py: ``delegate_registration``, ``combined_roles``), read in the same statement.
    roles: frozenset[Role]
    registration: Registered | None
    rules: LiveSettings  # the event's live settings (defaults when it has none)
    own_rules: SessionLiveSettings | None  # the session's own, where it sets any


# Built once (see server.db.read_latest). A guest passes no account: NULL matches no row of theirs. The rows are
# the event's roles × the session's roles (one row when there are none): a handful at most.
_STANDING: Executable = (
    select(
        col(Session.event_id),
        col(Event.published),
        col(EventRole.role).label("event_role"),
        col(SessionRole.role).label("session_role"),
        col(Registration.id).label("registration_id"),
        col(Registration.name).label("registered_name"),
        col(Registration.attendance),
        col(Registration.country),
        col(SessionChoice.id).label("pick_id"),
        col(LiveSettings.event_id).label("rules_event_id"),
        *(col(getattr(LiveSettings, name)).label(f"event_{name}") for name in RULE_FIELDS),
        col(SessionLiveSettings.session_id).label("own_rules_session_id"),
        *(col(getattr(SessionLiveSettings, name)).label(f"own_{name}") for name in RULE_FIELDS),
    )
    .select_from(Session)
    .join(Event, col(Event.id) == col(Session.event_id))
    .outerjoin(
        EventRole,
        and_(col(EventRole.event_id) == col(Session.event_id), col(EventRole.account_id) == bindparam("account_id")),
    )
    .outerjoin(
        SessionRole,
        and_(
            col(SessionRole.event_id) == col(Session.event_id),
            col(SessionRole.session_id) == col(Session.id),
            col(SessionRole.account_id) == bindparam("account_id"),
        ),
    )
    .outerjoin(Registration, and_(*delegate_registration(col(Session.event_id), bindparam("account_id"))))
    .outerjoin(
        SessionChoice,
        and_(
            col(SessionChoice.registration_id) == col(Registration.id),
            col(SessionChoice.session_id) == col(Session.id),
            col(SessionChoice.status) == ChoiceStatus.confirmed,
        ),
    )
    .outerjoin(LiveSettings, col(LiveSettings.event_id) == col(Session.event_id))
    .outerjoin(SessionLiveSettings, col(SessionLiveSettings.session_id) == col(Session.id))
    .where(col(Session.id) == bindparam("session_id"))
)


async def standing_in(db: AsyncSession, *, account_id: int | None, session_id: int) -> Standing | None:
    """Where ``account_id`` (None for a guest) stands in the session's room, as last committed; None when there
    is no such session."""
    rows = await read_latest(db, _STANDING, {"account_id": account_id, "session_id": session_id})
    if not rows:
        return None
    first = rows[0]
    event_id = int(first.event_id)
    granted = {row.event_role for row in rows if row.event_role is not None}
    granted.update(row.session_role for row in rows if row.session_role is not None)
    roles = combined_roles(granted, registered=first.registration_id is not None)
    registration = None
    if first.registration_id is not None:
        registration = Registered(
            name=first.registered_name,
            attendance=first.attendance,
            country=first.country,
            picked_session=first.pick_id is not None,
        )
    rules = LiveSettings(event_id=event_id)
    if first.rules_event_id is not None:
        rules = LiveSettings(event_id=event_id, **{name: getattr(first, f"event_{name}") for name in RULE_FIELDS})
    own_rules = None
    if first.own_rules_session_id is not None:
        own_rules = SessionLiveSettings(
            session_id=session_id, event_id=event_id, **{name: getattr(first, f"own_{name}") for name in RULE_FIELDS}
        )
    return Standing(
        event=EventShown(id=event_id, published=bool(first.published)),
        roles=roles,
        registration=registration,
        rules=rules,
        own_rules=own_rules,
    )
