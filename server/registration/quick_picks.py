"""The usual pick, read without a lock and written in a batch (``pick_batches``): two reads of the last commit
(the registration and the session in one, the event's kinds in the other), then the batched INSERT.

Anything but a confirmed registration picking a pickable session, and any pick the INSERT does not take, comes
back as None: the caller then takes the full way (``seats.pick_session`` under locks), which says why.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, bindparam, func
from sqlalchemy import select as core_select
from sqlalchemy.sql import Executable
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from server.accounts.models import Account, AuthSession
from server.accounts.services import signed_in_by
from server.agenda.kinds import SEATLESS, UNPICKABLE
from server.agenda.models import EventSessionKind, Room, Session
from server.clock import utcnow
from server.db import read_latest
from server.events.models import Event
from server.i18n import localised_value
from server.registration.models import Attendance, Registration, RegistrationStatus, SessionChoice
from server.registration.pick_batches import PickOrder, batcher_for


@dataclass(frozen=True)
class Picked:
    choice: SessionChoice
    title: str  # the session's, in the reader's language


def _kind_behaves_as() -> Any:
    """The built-in kind the session's kind behaves as: the event's own definition, else the slug itself
    (as ``server.agenda.kinds.slugs_behaving_as`` reads it, for one session)."""
    defined = (
        core_select(col(EventSessionKind.behaviour))
        .where(col(EventSessionKind.event_id) == col(Session.event_id), col(EventSessionKind.slug) == col(Session.kind))
        .scalar_subquery()
    )
    return func.coalesce(defined, col(Session.kind))


_FACTS = (
    col(Registration.event_id),
    col(Registration.id),
    col(Registration.status),
    col(Registration.attendance),
    col(Session.id),
    col(Session.kind),
    _kind_behaves_as(),
    col(Session.cancelled),
    col(Session.capacity),
    col(Room.capacity),
    col(Session.title),
    col(Session.translations),
)


def _facts_by_account() -> Executable:
    return (
        core_select(*_FACTS)
        .select_from(Registration)
        .join(Session, col(Session.event_id) == col(Registration.event_id))
        .join(Room, col(Room.id) == col(Session.room_id))
        .where(
            col(Registration.event_id) == bindparam("event_id"),
            col(Registration.account_id) == bindparam("account_id"),
            col(Session.id) == bindparam("session_id"),
        )
    )


def _facts_by_session_token() -> Executable:
    """The same, for the account a session cookie signs in (``signed_in_by``), a published event's slug and a
    session's code: nothing else to read first (a draft is its staff's alone, and takes the full way)."""
    return (
        core_select(*_FACTS)
        .select_from(AuthSession)
        .join(Account, col(Account.id) == col(AuthSession.account_id))
        .join(Event, and_(col(Event.slug) == bindparam("slug"), col(Event.published).is_(True)))
        .join(
            Registration,
            and_(col(Registration.account_id) == col(Account.id), col(Registration.event_id) == col(Event.id)),
        )
        .join(Session, and_(col(Session.event_id) == col(Event.id), col(Session.code) == bindparam("code")))
        .join(Room, col(Room.id) == col(Session.room_id))
        .where(*signed_in_by(bindparam("session_hash"), bindparam("now")))
    )


# Built once: every pick of a rush runs them (see server.db.read_latest).
_BY_ACCOUNT = _facts_by_account()
_BY_SESSION_TOKEN = _facts_by_session_token()
_UNPICKABLE = frozenset(kind.value for kind in UNPICKABLE)
_SEATLESS = frozenset(kind.value for kind in SEATLESS)


async def write_in_batch(db: AsyncSession, facts: dict[str, Any], *, by_account: bool, waitlist: bool) -> Picked | None:
    """``facts``: event_id, account_id and session_id (``by_account``), or slug, session_hash and code."""
    rows = await read_latest(db, _BY_ACCOUNT if by_account else _BY_SESSION_TOKEN, {**facts, "now": utcnow()})
    if not rows:
        return None
    event_id, registration_id, status, attendance, session_id, kind, behaves_as, cancelled, *rest = rows[0]
    own_seats, room_seats, title, texts = rest
    if status != RegistrationStatus.confirmed or cancelled or behaves_as in _UNPICKABLE:
        return None
    seats = room_seats if own_seats is None else own_seats
    onsite = attendance == Attendance.onsite and seats > 0 and behaves_as not in _SEATLESS
    order = PickOrder(
        event_id=event_id,
        registration_id=registration_id,
        registration_attendance=attendance,
        session_id=session_id,
        session_kind=kind,
        attendance=Attendance.onsite if onsite else Attendance.online,
        waitlist=waitlist,
    )
    if db.in_transaction():  # PostgreSQL: the reads' pooled connection goes back while the pick waits its batch
        await db.commit()
    written = await batcher_for(db).write(db, order)
    if written is None:
        return None
    choice = SessionChoice(
        id=written.id,
        event_id=order.event_id,
        registration_id=registration_id,
        session_id=session_id,
        attendance=written.attendance,
        status=written.status,
    )
    return Picked(choice=choice, title=localised_value(title, texts, "title"))


async def pick_for_session_token(
    db: AsyncSession, *, slug: str, session_hash: str, code: str, waitlist: bool
) -> Picked | None:
    """A signed-in delegate's pick by the session cookie's hash, a published event's slug and the session's code,
    with no other read: for a crowd of picks at once. None: anything unusual (see the module's note)."""
    facts = {"slug": slug, "session_hash": session_hash, "code": code}
    return await write_in_batch(db, facts, by_account=False, waitlist=waitlist)
