"""Session picks: on-site seats are finite, taken atomically; a waitlist promotes the next person when one frees.

Atomicity: every read-then-write here starts with ``begin_write`` (BEGIN IMMEDIATE on SQLite) and locks the
registration row, then the session row, in that order, with SELECT ... FOR UPDATE (PostgreSQL). The usual pick
is written in a batch first (``quick_picks``, ``pick_batches``: the same locks, in the same order).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server import formats
from server.accounts.models import Account
from server.accounts.revocations import Reason, record_revocation
from server.agenda.kinds import SEATLESS, UNPICKABLE, slugs_behaving_as
from server.agenda.models import Room, Session, seat_capacity
from server.clock import utcnow
from server.errors import Conflict, InvalidInput, NotFound
from server.events.models import Event
from server.i18n import gettext as _
from server.i18n import localised
from server.mail.services import queue_mail
from server.registration.locking import locked_registration
from server.registration.models import Attendance, ChoiceStatus, Registration, SessionChoice
from server.registration.places import require_confirmed
from server.registration.quick_picks import write_in_batch
from server.registration.translations import in_language
from server.time_zones import reader_zone

# The built-in kinds that hold no seat (server/agenda/kinds.py): an event's own kinds may behave as them too.
SEATLESS_KINDS = frozenset(kind.value for kind in SEATLESS)


def holds_seat(session: Session, room: Room, seatless: frozenset[str] = SEATLESS_KINDS) -> bool:
    """Whether a pick of ``session`` takes a seat; ``seatless``: the event's kinds that hold none."""
    return seat_capacity(session, room) > 0 and session.kind not in seatless


async def seatless_kinds(db: AsyncSession, *, event: Event) -> frozenset[str]:
    return await slugs_behaving_as(db, event_id=event.id or 0, behaviours=SEATLESS)


class Clash(Conflict):
    """The pick overlaps ``other``, one of the delegate's on-site picks: dropping it is the way forward."""

    def __init__(self, message: str, *, other: Session) -> None:
        super().__init__(message)
        self.other = other


class SessionFull(Conflict):
    """The last seat went (between seeing the session and clicking): the waitlist is the way forward."""


async def _locked_session(db: AsyncSession, *, event: Event, session_id: int) -> tuple[Session, Room]:
    row = (
        await db.exec(
            select(Session, Room)
            .join(Room, col(Room.id) == col(Session.room_id))
            .where(Session.id == session_id, Session.event_id == event.id)
            .with_for_update(of=Session)
        )
    ).first()
    if row is None:
        raise NotFound(_("There is no such session in this event."))
    return row


async def find_session(db: AsyncSession, *, event: Event, code: str) -> Session:
    """A session of ``event`` by its code; another event's session is not found."""
    session = (await db.exec(select(Session).where(Session.event_id == event.id, Session.code == code))).first()
    if session is None:
        raise NotFound(_("There is no such session in this event."))
    return session


async def seats_taken(db: AsyncSession, *, session_id: int) -> int:
    """On-site seats confirmed for the session: its capacity may not go below this."""
    query = (
        select(func.count())
        .select_from(SessionChoice)
        .where(
            SessionChoice.session_id == session_id,
            SessionChoice.attendance == Attendance.onsite,
            SessionChoice.status == ChoiceStatus.confirmed,
        )
    )
    return int((await db.exec(query)).one())


async def _clashes(
    db: AsyncSession, *, registration: Registration, session: Session, seatless: frozenset[str]
) -> list[Session]:
    """The registration's other on-site picks that overlap ``session`` in time."""
    return list(
        (
            await db.exec(
                select(Session)
                .join(SessionChoice, col(SessionChoice.session_id) == col(Session.id))
                .where(
                    SessionChoice.registration_id == registration.id,
                    SessionChoice.attendance == Attendance.onsite,
                    col(Session.id) != session.id,
                    col(Session.kind).not_in(seatless),
                    col(Session.start) < session.end,
                    col(Session.end) > session.start,
                )
            )
        ).all()
    )


async def _seat_or_waitlist(
    db: AsyncSession, *, registration: Registration, session: Session, room: Room, seatless: frozenset[str]
) -> str:
    clashes = await _clashes(db, registration=registration, session=session, seatless=seatless)
    if clashes:
        raise Clash(
            _("“{title}” overlaps “{other}”, which you already picked on site. Remove one of them first.").format(
                title=localised(session, "title"), other=localised(clashes[0], "title")
            ),
            other=clashes[0],
        )
    return (
        ChoiceStatus.confirmed
        if await seats_taken(db, session_id=session.id or 0) < seat_capacity(session, room)
        else ChoiceStatus.waitlisted
    )


async def pick_session(
    db: AsyncSession, *, event: Event, account: Account, session_id: int, waitlist: bool = True
) -> SessionChoice:
    """Adds a session to the delegate's agenda; picking it again changes nothing. A full session puts the delegate
    on its waitlist; with ``waitlist=False`` (they saw seats left) it raises ``SessionFull`` instead.

    The usual pick is written in a batch with the picks that came with it (``quick_picks``); whatever that
    write does not take (a refusal, a repeat, a change meanwhile) goes the full way, under the registration's
    and the session's locks, which finds and says why."""
    written = await write_in_batch(db, (event.id, account.id, session_id), waitlist=waitlist)
    if written is not None:
        return written.choice
    return await _pick_under_locks(db, event=event, account=account, session_id=session_id, waitlist=waitlist)


async def _pick_under_locks(
    db: AsyncSession, *, event: Event, account: Account, session_id: int, waitlist: bool
) -> SessionChoice:
    registration = await locked_registration(db, event=event, account=account)
    require_confirmed(registration)
    session, room = await _locked_session(db, event=event, session_id=session_id)
    if session.kind in await slugs_behaving_as(db, event_id=event.id or 0, behaviours=UNPICKABLE):
        raise InvalidInput(_("Breaks are for everyone: there is nothing to pick."))
    if session.cancelled:
        raise Conflict(_("This session has been cancelled."))
    existing = (
        await db.exec(
            select(SessionChoice).where(
                SessionChoice.registration_id == registration.id, SessionChoice.session_id == session.id
            )
        )
    ).first()
    if existing is not None:
        await db.rollback()
        await db.refresh(existing)  # the rollback expired it: read again, for the caller
        return existing
    seatless = await seatless_kinds(db, event=event)
    onsite = registration.attendance == Attendance.onsite and holds_seat(session, room, seatless)
    status = (
        await _seat_or_waitlist(db, registration=registration, session=session, room=room, seatless=seatless)
        if onsite
        else ChoiceStatus.confirmed
    )
    if status == ChoiceStatus.waitlisted and not waitlist:
        title = localised(session, "title")  # read before the rollback expires it
        await db.rollback()
        raise SessionFull(
            _(
                "The last seat of “{title}” was just taken. Join the waitlist to get the next seat that frees up."
            ).format(title=title)
        )
    choice = SessionChoice(
        event_id=event.id or 0,
        registration_id=registration.id or 0,
        session_id=session.id or 0,
        attendance=Attendance.onsite if onsite else Attendance.online,
        status=status,
    )
    db.add(choice)
    await db.commit()
    return choice


async def unpick_session(db: AsyncSession, *, event: Event, account: Account, session_id: int) -> None:
    registration = await locked_registration(db, event=event, account=account)
    choice = (
        await db.exec(
            select(SessionChoice).where(
                SessionChoice.registration_id == registration.id, SessionChoice.session_id == session_id
            )
        )
    ).first()
    if choice is None:
        raise NotFound(_("This session is not in your agenda."))
    seated = choice.attendance == Attendance.onsite and choice.status == ChoiceStatus.confirmed
    await db.delete(choice)
    await db.flush()
    if seated:
        await release_seat(db, event=event, session_id=session_id)
    await record_revocation(db, account_id=account.id or 0, event_id=event.id, reason=Reason.unpicked)
    await db.commit()


async def release_seat(db: AsyncSession, *, event: Event, session_id: int) -> SessionChoice | None:
    """After a seat frees (the caller commits): the first on the waitlist takes it and is told by mail."""
    session, room = await _locked_session(db, event=event, session_id=session_id)
    if session.cancelled or await seats_taken(db, session_id=session_id) >= seat_capacity(session, room):
        return None
    row = (
        await db.exec(
            select(SessionChoice, Registration)
            .join(Registration, col(Registration.id) == col(SessionChoice.registration_id))
            .where(SessionChoice.session_id == session_id, SessionChoice.status == ChoiceStatus.waitlisted)
            .order_by(col(SessionChoice.id))
            .limit(1)
        )
    ).first()
    if row is None:
        return None
    choice, registration = row
    choice.status = ChoiceStatus.confirmed
    choice.promoted_at = utcnow()
    db.add(choice)
    account = await db.get_one(Account, registration.account_id)
    zone = reader_zone(account.time_zone, event.timezone)  # the zone the delegate chose, else the event's
    with in_language(account.language, registration.language):  # freed by someone else: told in theirs
        when = formats.time_range(session.start, session.end, zone)
        subject = _("A seat is yours: {title}").format(title=localised(session, "title"))
        body = _(
            "A seat freed up and you moved from the waitlist to a confirmed seat for “{title}” at {event}: "
            "{when} ({zone}).\n"
        ).format(title=localised(session, "title"), event=localised(event, "title"), when=when, zone=zone.key)
    await queue_mail(db, recipient=registration.email, subject=subject, body=body)
    return choice


async def take_seats_for(db: AsyncSession, *, event: Event, choices: list[SessionChoice]) -> None:
    """Online → on site: every seat-holding pick must get a seat now, or nothing changes."""
    full: list[str] = []
    seatless = await seatless_kinds(db, event=event)
    for choice in sorted(choices, key=lambda c: c.session_id):
        session, room = await _locked_session(db, event=event, session_id=choice.session_id)
        if not holds_seat(session, room, seatless):
            continue
        choice.attendance = Attendance.onsite
        choice.status = ChoiceStatus.confirmed
        db.add(choice)
        await db.flush()
        if await seats_taken(db, session_id=choice.session_id) > seat_capacity(session, room):
            full.append(localised(session, "title"))
            continue
        registration = await db.get_one(Registration, choice.registration_id)
        clashes = await _clashes(db, registration=registration, session=session, seatless=seatless)
        if clashes:
            raise Conflict(
                _(
                    "“{title}” overlaps “{other}”: on site you can only be in one place. Remove one of them first."
                ).format(title=localised(session, "title"), other=localised(clashes[0], "title"))
            )
    if full:
        raise Conflict(
            _(
                "No seats remain on site for: {titles}. Remove these sessions from your agenda to attend on site."
            ).format(titles="; ".join(full))
        )


@dataclass(frozen=True)
class Pick:
    choice: SessionChoice
    waitlist_position: int | None  # 1 for the next to be promoted


async def agenda_of(db: AsyncSession, *, registration: Registration) -> dict[int, Pick]:
    """The delegate's picks by session id, with their place on each waitlist."""
    choices = (await db.exec(select(SessionChoice).where(SessionChoice.registration_id == registration.id))).all()
    picks = {}
    for choice in choices:
        position = None
        if choice.status == ChoiceStatus.waitlisted:
            ahead = await db.exec(
                select(func.count())
                .select_from(SessionChoice)
                .where(
                    SessionChoice.session_id == choice.session_id,
                    SessionChoice.status == ChoiceStatus.waitlisted,
                    col(SessionChoice.id) < (choice.id or 0),
                )
            )
            position = int(ahead.one()) + 1
        picks[choice.session_id] = Pick(choice=choice, waitlist_position=position)
    return picks
