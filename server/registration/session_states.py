"""What a session looks like to one delegate before any click: seats left, full (the waitlist), a clash with one of
their picks, or already picked. Read for a whole programme at once: one query for the seats of every session."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.agenda.kinds import SEATLESS
from server.agenda.models import seat_capacity
from server.agenda.services import SessionView
from server.events.models import Event
from server.i18n import localised
from server.registration.models import Attendance, ChoiceStatus, Registration, SessionChoice
from server.registration.seats import Pick


class State(enum.StrEnum):
    """The ``data-state`` of a session's badge (the design system's ``.badge``)."""

    picked = "picked"  # in the delegate's agenda (a seat, or online)
    waitlist = "waitlist"  # on its waitlist
    clash = "clash"  # overlaps one of the delegate's on-site picks
    full = "full"  # no seat left: a pick joins the waitlist
    seats = "seats"  # seats left
    open = "open"  # no seat to count: online, or a kind that holds no seat


@dataclass(frozen=True)
class SessionState:
    state: State
    seats_left: int | None = None  # None: the session holds no counted seat
    clash_with: str = ""  # the title of the pick it overlaps
    waitlist_position: int | None = None


@dataclass(frozen=True)
class SeatCount:
    taken: int = 0
    waiting: int = 0


async def seat_counts(db: AsyncSession, *, event: Event) -> dict[int, SeatCount]:
    """Confirmed on-site seats and waitlisted picks of every session of ``event``, by session id."""
    rows = (
        await db.exec(
            select(SessionChoice.session_id, SessionChoice.status, func.count())
            .where(SessionChoice.event_id == event.id)
            .where(
                (col(SessionChoice.status) == ChoiceStatus.waitlisted)
                | (col(SessionChoice.attendance) == Attendance.onsite)
            )
            .group_by(col(SessionChoice.session_id), col(SessionChoice.status))
        )
    ).all()
    taken: dict[int, int] = {}
    waiting: dict[int, int] = {}
    for session_id, status, count in rows:
        (waiting if status == ChoiceStatus.waitlisted else taken)[session_id] = int(count)
    return {
        session_id: SeatCount(taken=taken.get(session_id, 0), waiting=waiting.get(session_id, 0))
        for session_id in taken.keys() | waiting.keys()
    }


def holds_counted_seat(view: SessionView) -> bool:
    return seat_capacity(view.session, view.room) > 0 and view.behaviour not in SEATLESS


def session_states(
    views: Iterable[SessionView],
    *,
    counts: Mapping[int, SeatCount],
    chosen: Mapping[int, Pick],
    registration: Registration | None,
    all_views: Iterable[SessionView] = (),
) -> dict[int, SessionState]:
    """Each view's state for ``registration`` (None: a visitor, who sees only the seats). ``all_views``: the
    programme, to find the picks a session clashes with (defaults to ``views``)."""
    views = list(views)
    onsite = registration is None or registration.attendance == Attendance.onsite
    by_id = {view.session.id: view for view in (list(all_views) or views)}
    onsite_picks = [
        by_id[session_id]
        for session_id, pick in chosen.items()
        if session_id in by_id and pick.choice.attendance == Attendance.onsite and holds_counted_seat(by_id[session_id])
    ]
    states: dict[int, SessionState] = {}
    for view in views:
        session_id = view.session.id or 0
        counted = onsite and holds_counted_seat(view)
        left = max(seat_capacity(view.session, view.room) - counts.get(session_id, SeatCount()).taken, 0)
        seats_left = left if counted else None
        pick = chosen.get(session_id)
        if pick is not None:
            waiting = pick.choice.status == ChoiceStatus.waitlisted
            states[session_id] = SessionState(
                State.waitlist if waiting else State.picked, seats_left, waitlist_position=pick.waitlist_position
            )
            continue
        clash = (
            next(
                (
                    other
                    for other in onsite_picks
                    if other.session.id != session_id
                    and other.session.start < view.session.end
                    and other.session.end > view.session.start
                ),
                None,
            )
            if counted and registration is not None
            else None
        )
        if clash is not None:
            states[session_id] = SessionState(State.clash, seats_left, clash_with=localised(clash.session, "title"))
        elif not counted:
            states[session_id] = SessionState(State.open)
        else:
            states[session_id] = SessionState(State.seats if left > 0 else State.full, seats_left)
    return states
