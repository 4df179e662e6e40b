"""The usual pick, written in a batch (``pick_batches``): the batch's writer reads the facts of every pick in it
(account, registration, session, its kind's behaviour) in one statement, then runs the batched INSERT.

Anything but a confirmed registration picking a pickable session, and any pick the INSERT does not take, comes
back as None: the caller then takes the full way (``seats.pick_session`` under locks), which says why.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, bindparam, func
from sqlalchemy import select as core_select
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import Executable
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from server.accounts.models import Account, AuthSession
from server.accounts.services import signed_in_by
from server.agenda.kinds import SEATLESS, UNPICKABLE
from server.agenda.models import EventSessionKind, Room, Session
from server.clock import utcnow
from server.db import read_latest, reads_in_process
from server.events.models import Event
from server.i18n import localised_value
from server.registration.models import Attendance, Registration, RegistrationStatus, SessionChoice
from server.registration.pick_batches import PickAsk, PickOrder, batcher_for, one_of


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


def _facts_by_account(postgres: bool) -> Executable:
    """Keyed by (event id, account id, session id)."""
    keys = (col(Registration.event_id), col(Registration.account_id), col(Session.id))
    return (
        core_select(*keys, *_FACTS)
        .select_from(Registration)
        .join(Session, col(Session.event_id) == col(Registration.event_id))
        .join(Room, col(Room.id) == col(Session.room_id))
        .where(
            one_of(col(Registration.event_id), "event_ids", postgres=postgres),
            one_of(col(Registration.account_id), "account_ids", postgres=postgres),
            one_of(col(Session.id), "session_ids", postgres=postgres),
        )
    )


def _facts_by_session_token(postgres: bool) -> Executable:
    """Keyed by (session cookie's hash, event's slug, session's code): the account the cookie signs in
    (``signed_in_by``), of a published event (a draft is its staff's alone, and takes the full way)."""
    keys = (col(AuthSession.token_hash), col(Event.slug), col(Session.code))
    return (
        core_select(*keys, *_FACTS)
        .select_from(AuthSession)
        .join(Account, col(Account.id) == col(AuthSession.account_id))
        .join(Registration, col(Registration.account_id) == col(Account.id))
        .join(Event, and_(col(Event.id) == col(Registration.event_id), col(Event.published).is_(True)))
        .join(Session, col(Session.event_id) == col(Event.id))
        .join(Room, col(Room.id) == col(Session.room_id))
        .where(
            *signed_in_by(bindparam("now")),
            one_of(col(AuthSession.token_hash), "session_hashes", postgres=postgres),
            one_of(col(Event.slug), "slugs", postgres=postgres),
            one_of(col(Session.code), "codes", postgres=postgres),
        )
    )


# Built once per kind of database: every pick or batch of a rush runs them.
_BY_ACCOUNT = {postgres: _facts_by_account(postgres) for postgres in (False, True)}
_BY_SESSION_TOKEN = {postgres: _facts_by_session_token(postgres) for postgres in (False, True)}
_UNPICKABLE = frozenset(kind.value for kind in UNPICKABLE)
_SEATLESS = frozenset(kind.value for kind in SEATLESS)


def _order(facts: Sequence[Any], waitlist: bool) -> PickOrder | None:
    event_id, registration_id, status, attendance, session_id, kind, behaves_as, cancelled, *rest = facts
    own_seats, room_seats, title, texts = rest
    if status != RegistrationStatus.confirmed or cancelled or behaves_as in _UNPICKABLE:
        return None
    seats = room_seats if own_seats is None else own_seats
    onsite = attendance == Attendance.onsite and seats > 0 and behaves_as not in _SEATLESS
    return PickOrder(
        event_id=event_id,
        registration_id=registration_id,
        registration_attendance=attendance,
        session_id=session_id,
        session_kind=kind,
        attendance=Attendance.onsite if onsite else Attendance.online,
        waitlist=waitlist,
        title=title,
        title_texts=texts,
    )


_COOKIE_KEYS = ("session_hashes", "slugs", "codes")
_ACCOUNT_KEYS = ("event_ids", "account_ids", "session_ids")


async def _resolve(connection: AsyncConnection, asks: Sequence[PickAsk]) -> dict[PickAsk, PickOrder]:
    """Every ask's order: read already, or from one statement per kind of key (a session cookie's, an account's)."""
    unread = [ask for ask in asks if ask.order is None]
    by_cookie = [ask for ask in unread if isinstance(ask.by[0], str)]
    by_account = [ask for ask in unread if not isinstance(ask.by[0], str)]
    orders = {ask: ask.order for ask in asks if ask.order is not None}
    postgres = connection.dialect.name == "postgresql"
    orders.update(await _orders_of(connection, _BY_SESSION_TOKEN[postgres], _COOKIE_KEYS, by_cookie))
    orders.update(await _orders_of(connection, _BY_ACCOUNT[postgres], _ACCOUNT_KEYS, by_account))
    return orders


async def _orders_of(
    connection: AsyncConnection, statement: Executable, names: tuple[str, str, str], asks: Sequence[PickAsk]
) -> dict[PickAsk, PickOrder]:
    if not asks:
        return {}
    params: dict[str, Any] = {name: sorted({ask.by[i] for ask in asks}) for i, name in enumerate(names)}
    result = await connection.execute(statement, {**params, "now": utcnow()})
    facts = {tuple(row[:3]): row[3:] for row in result}  # more rows than asks: each ask picks its own
    found = {}
    for ask in asks:
        order = _order(facts[ask.by], ask.waitlist) if ask.by in facts else None
        if order is not None:
            found[ask] = order
    return found


async def write_in_batch(db: AsyncSession, by: tuple[Any, ...], *, waitlist: bool) -> Picked | None:
    """``by``: (event id, account id, session id), or (session cookie's hash, event's slug, session's code)."""
    order = None
    if reads_in_process(db):  # SQLite: microseconds in this thread, no turn on the write lock needed
        by_cookie = isinstance(by[0], str)
        statements, names = (_BY_SESSION_TOKEN, _COOKIE_KEYS) if by_cookie else (_BY_ACCOUNT, _ACCOUNT_KEYS)
        params = {name: [value] for name, value in zip(names, by, strict=True)}
        rows = await read_latest(db, statements[False], {**params, "now": utcnow()})
        order = _order(rows[0][3:], waitlist) if rows else None
        if order is None:
            return None
    # Elsewhere a read costs a round trip per pick: the batch's writer reads every pick's facts in one.
    if db.in_transaction():  # the pick waits for its batch without holding a pooled connection
        await db.commit()
    outcome = await batcher_for(db).write(db, PickAsk(by=by, waitlist=waitlist, order=order), _resolve)
    if outcome is None:
        return None
    order, written = outcome
    choice = SessionChoice(
        id=written.id,
        event_id=order.event_id,
        registration_id=order.registration_id,
        session_id=order.session_id,
        attendance=written.attendance,
        status=written.status,
    )
    return Picked(choice=choice, title=localised_value(order.title, order.title_texts, "title"))


async def pick_for_session_token(
    db: AsyncSession, *, slug: str, session_hash: str, code: str, waitlist: bool
) -> Picked | None:
    """A signed-in delegate's pick by the session cookie's hash, a published event's slug and the session's code,
    with no read of its own: for a crowd of picks at once. None: anything unusual (see the module's note)."""
    return await write_in_batch(db, (session_hash, slug, code), waitlist=waitlist)
