"""The seat rush's write: picks that arrive together are written together, each as one conditional INSERT that
counts the confirmed seats inside the write, in one transaction and one commit (group commit).

Why: a pick used to hold the write lock for five statements and a commit, each waiting for its turn on an event
loop busy with the rest of the crowd, so 1,000 picks queued for 25 s. Here a pick waits in the queue without a
connection, and the lock covers one batch: one read of every queued pick's facts (``Resolver``), the row locks,
one ``executemany`` of the INSERT, one read of the outcome, one commit, whatever the batch's size.

Exactness: statements of a batch run in arrival order inside one write transaction (BEGIN IMMEDIATE on SQLite;
on PostgreSQL the registrations' and then the sessions' rows are locked first, the order ``seats.py`` uses), so
each INSERT sees the seats the ones before it took, and ids (the waitlist's order) follow commit order. A pick
is acknowledged only after the commit. The INSERT checks again what the facts said (the registration, the
session, no repeat, no overlapping pick, seats left for a pick that refused the waitlist) and adds nothing
otherwise: the caller then takes the full path in ``seats.py``, which says why.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Integer,
    String,
    Table,
    and_,
    any_,
    bindparam,
    case,
    exists,
    false,
    func,
    insert,
    literal,
    literal_column,
    or_,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlmodel.ext.asyncio.session import AsyncSession

from server.agenda.models import Room, Session
from server.clock import utcnow
from server.db import begin_write
from server.registration.models import Attendance, ChoiceStatus, Registration, RegistrationStatus, SessionChoice


@dataclass(frozen=True)
class PickOrder:
    """One pick, with what the caller read without a lock; the INSERT checks each of these again."""

    event_id: int
    registration_id: int
    registration_attendance: str
    session_id: int
    session_kind: str
    attendance: str  # of the pick: on site only for a seat-holding session and an on-site registration
    waitlist: bool  # False: a pick seen with seats left; a full session leaves it to the full path
    title: str = field(compare=False, default="")  # the session's, for the answer (not written)
    title_texts: dict[str, dict[str, str]] | None = field(compare=False, default=None, hash=False)


@dataclass(frozen=True)
class PickAsk:
    """A pick as asked: ``by`` finds its facts (the resolver's keys), read by the batch's writer under the lock."""

    by: tuple[Any, ...]
    waitlist: bool
    order: PickOrder | None = None  # read by the asker already (SQLite: see ``quick_picks``)


# Reads the facts of every ask of a batch in the write transaction: the orders to write (an ask left out
# is not for this path).
Resolver = Callable[[AsyncConnection, Sequence[PickAsk]], Awaitable[dict[PickAsk, PickOrder]]]


@dataclass(frozen=True)
class Written:
    """The delegate's pick as it stands after the commit: just added, or there already (a repeat)."""

    id: int
    attendance: str
    status: str


@dataclass
class _Waiting:
    ask: PickAsk
    outcome: asyncio.Future[tuple[PickOrder, Written] | None] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


_CHOICE: Table = SessionChoice.__table__  # type: ignore[attr-defined]
_SESSION: Table = Session.__table__  # type: ignore[attr-defined]
_ROOM: Table = Room.__table__  # type: ignore[attr-defined]
_REGISTRATION: Table = Registration.__table__  # type: ignore[attr-defined]
_OTHER = _CHOICE.alias("other")
_OTHER_SESSION = _SESSION.alias("other_session")
_TAKEN = _CHOICE.alias("taken")
# Typed, so that PostgreSQL knows what each parameter is where the INSERT selects it.
_EVENT_ID = bindparam("event_id", type_=Integer)
_REGISTRATION_ID = bindparam("registration_id", type_=Integer)
_SESSION_ID = bindparam("session_id", type_=Integer)
_ATTENDANCE = bindparam("attendance", type_=String)
_CAPACITY = func.coalesce(_SESSION.c.capacity, _ROOM.c.capacity)
_SEATS_TAKEN = (
    select(func.count())
    .select_from(_TAKEN)
    .where(
        _TAKEN.c.session_id == _SESSION_ID,
        _TAKEN.c.attendance == Attendance.onsite.value,
        _TAKEN.c.status == ChoiceStatus.confirmed.value,
    )
    .scalar_subquery()
)
_ONSITE = _ATTENDANCE == Attendance.onsite.value  # noqa: SIM300 -- a parameter, not a constant
_SEATED = and_(_ONSITE, _SEATS_TAKEN < _CAPACITY)
_ALREADY_PICKED = exists().where(_OTHER.c.registration_id == _REGISTRATION_ID, _OTHER.c.session_id == _SESSION_ID)
# Stricter than the rule (any on-site pick that overlaps, whatever its kind): the full path decides the rest.
_OVERLAPS = exists().where(
    _OTHER.c.registration_id == _REGISTRATION_ID,
    _OTHER.c.attendance == Attendance.onsite.value,
    _OTHER_SESSION.c.id == _OTHER.c.session_id,
    _OTHER_SESSION.c.id != _SESSION_ID,
    _OTHER_SESSION.c.start < _SESSION.c.end,
    _OTHER_SESSION.c.end > _SESSION.c.start,
)
# Built once: every pick of a rush runs it (building and keying a statement costs more than running it).
_CONDITIONAL_INSERT = insert(_CHOICE).from_select(
    ["event_id", "registration_id", "session_id", "attendance", "status", "created_at"],
    select(
        _EVENT_ID,
        _REGISTRATION_ID,
        _SESSION_ID,
        _ATTENDANCE,
        case(
            (_SEATED, literal_column(f"'{ChoiceStatus.confirmed.value}'")),
            (_ONSITE, literal_column(f"'{ChoiceStatus.waitlisted.value}'")),
            else_=literal_column(f"'{ChoiceStatus.confirmed.value}'"),
        ),
        bindparam("created_at", type_=_CHOICE.c.created_at.type),
    )
    .select_from(_SESSION.join(_ROOM, _ROOM.c.id == _SESSION.c.room_id))
    .join(_REGISTRATION, _REGISTRATION.c.id == _REGISTRATION_ID)
    .where(
        _SESSION.c.id == _SESSION_ID,
        _SESSION.c.event_id == _EVENT_ID,
        _SESSION.c.kind == bindparam("session_kind", type_=String),
        _SESSION.c.cancelled == false(),
        _REGISTRATION.c.event_id == _EVENT_ID,
        _REGISTRATION.c.status == RegistrationStatus.confirmed.value,
        _REGISTRATION.c.attendance == bindparam("registration_attendance", type_=String),
        or_(~_ONSITE, literal(0) < _CAPACITY),
        or_(~_ONSITE, bindparam("waitlist", type_=Boolean), _SEATS_TAKEN < _CAPACITY),
        ~_ALREADY_PICKED,
        or_(~_ONSITE, ~_OVERLAPS),
    ),
)


def one_of(column: Any, name: str, *, postgres: bool) -> Any:
    """``column IN (:name)`` in a statement built once: on PostgreSQL an array parameter (one statement text
    whatever the number of values, and no rendering per call: about a tenth of a rush's time went there);
    elsewhere an expanding IN."""
    if postgres:
        return column == any_(bindparam(name, type_=ARRAY(column.type)))
    return column.in_(bindparam(name, expanding=True))


def _outcomes(postgres: bool) -> Any:
    choice = _CHOICE.c
    return select(choice.registration_id, choice.session_id, choice.id, choice.attendance, choice.status).where(
        one_of(choice.registration_id, "registration_ids", postgres=postgres),
        one_of(choice.session_id, "session_ids", postgres=postgres),
    )


def _locks(table: Table, name: str) -> Any:
    """PostgreSQL's row locks, taken in id order (SQLite's BEGIN IMMEDIATE already holds the whole file)."""
    return select(table.c.id).where(one_of(table.c.id, name, postgres=True)).order_by(table.c.id).with_for_update()


# Built once per kind of database: every batch runs them.
_OUTCOMES = {postgres: _outcomes(postgres) for postgres in (False, True)}
_LOCK_REGISTRATIONS = _locks(_REGISTRATION, "registration_ids")
_LOCK_SESSIONS = _locks(_SESSION, "session_ids")


class PickBatcher:
    """Picks waiting to be written, in arrival order; the first waiting pick writes every pick queued by then."""

    def __init__(self) -> None:
        self._queued: list[_Waiting] = []
        self._writing = asyncio.Lock()  # one batch at a time in this process; first come, first written

    async def write(self, db: AsyncSession, ask: PickAsk, resolve: Resolver) -> tuple[PickOrder, Written] | None:
        """The pick after the commit, or None when it is not for this path or the INSERT took nothing and found
        no pick there. Waits for its turn without holding a connection."""
        waiting = _Waiting(ask)
        self._queued.append(waiting)
        async with self._writing:
            if not waiting.outcome.done():  # no batch took it meanwhile: this one writes everything queued
                batch, self._queued = self._queued, []
                try:
                    await _write_batch(db, batch, resolve)
                finally:  # the writer was cancelled: the picks it left are written by the next in line
                    self._queued[:0] = [left for left in batch if not left.outcome.done()]
        return waiting.outcome.result()


_batchers: weakref.WeakKeyDictionary[AsyncEngine, PickBatcher] = weakref.WeakKeyDictionary()


def batcher_for(db: AsyncSession) -> PickBatcher:
    """One batcher per database engine (one per application, so two apps on two databases never mix)."""
    engine = db.bind
    assert isinstance(engine, AsyncEngine)
    if engine not in _batchers:
        _batchers[engine] = PickBatcher()
    return _batchers[engine]


async def _write_batch(db: AsyncSession, batch: list[_Waiting], resolve: Resolver) -> None:
    try:
        outcomes = await _insert_all(db, [waiting.ask for waiting in batch], resolve)
    except Exception as error:
        await db.rollback()
        if len(batch) == 1:
            batch[0].outcome.set_exception(error)
            return
        for waiting in batch:  # one bad pick must not fail the others: each alone, in order
            await _write_batch(db, [waiting], resolve)
        return
    for waiting in batch:
        waiting.outcome.set_result(outcomes.get(waiting.ask))


async def _insert_all(
    db: AsyncSession, asks: list[PickAsk], resolve: Resolver
) -> dict[PickAsk, tuple[PickOrder, Written]]:
    await begin_write(db)
    connection = await db.connection()
    orders = await resolve(connection, asks)
    if not orders:
        await db.commit()
        return {}
    ids = {
        "registration_ids": sorted({order.registration_id for order in orders.values()}),
        "session_ids": sorted({order.session_id for order in orders.values()}),
    }
    postgres = connection.dialect.name == "postgresql"
    if postgres:
        await connection.execute(_LOCK_REGISTRATIONS, ids)
        await connection.execute(_LOCK_SESSIONS, ids)
    now = utcnow()
    in_order = [orders[ask] for ask in asks if ask in orders]  # arrival order: the seats' and the waitlist's
    await connection.execute(_CONDITIONAL_INSERT, [_parameters(order, now) for order in in_order])
    rows = await connection.execute(_OUTCOMES[postgres], ids)
    written = {
        (registration_id, session_id): Written(id=choice_id or 0, attendance=attendance, status=status)
        for registration_id, session_id, choice_id, attendance, status in rows.all()
    }
    await db.commit()
    return {
        ask: (order, written[(order.registration_id, order.session_id)])
        for ask, order in orders.items()
        if (order.registration_id, order.session_id) in written
    }


def _parameters(order: PickOrder, now: datetime) -> dict[str, Any]:
    return {
        "event_id": order.event_id,
        "registration_id": order.registration_id,
        "registration_attendance": order.registration_attendance,
        "session_id": order.session_id,
        "session_kind": order.session_kind,
        "attendance": order.attendance,
        "waitlist": order.waitlist,
        "created_at": now,
    }
