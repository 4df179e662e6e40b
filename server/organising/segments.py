"""Who a message to a segment of an event's people reaches: each person once (by address), with the language
of their registration in the event when they have one."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.accounts.models import Account, EventRole, Role, SessionRole
from server.agenda.models import Person, Session
from server.errors import InvalidInput, NotFound
from server.events.models import Event
from server.i18n import gettext as _
from server.registration.models import Attendance, ChoiceStatus, Registration, RegistrationStatus, SessionChoice


class InvalidDraft(InvalidInput):
    """What is wrong with each field of a message's form (``errors``: field name → message)."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(next(iter(errors.values())))
        self.errors = errors


class Segment(enum.StrEnum):
    registered = "registered"
    onsite = "onsite"
    online = "online"
    session_confirmed = "session_confirmed"
    session_waitlisted = "session_waitlisted"
    speakers = "speakers"
    staff = "staff"

    @property
    def needs_session(self) -> bool:
        return self in (Segment.session_confirmed, Segment.session_waitlisted)


def segment_label(segment: Segment) -> str:
    return {
        Segment.registered: _("Everyone registered (confirmed)"),
        Segment.onsite: _("Registered on site"),
        Segment.online: _("Registered online"),
        Segment.session_confirmed: _("A session's confirmed people"),
        Segment.session_waitlisted: _("A session's waitlist"),
        Segment.speakers: _("Speakers"),
        Segment.staff: _("Staff (organisers and moderators)"),
    }[segment]


@dataclass(frozen=True, slots=True)
class Audience:
    """A segment of one event, its session when it has one."""

    segment: Segment
    session: Session | None = None

    @property
    def label(self) -> str:
        if self.session is not None:
            return _("%(segment)s: %(session)s") % {
                "segment": segment_label(self.segment),
                "session": self.session.title,
            }
        return segment_label(self.segment)

    def why(self, event: Event) -> str:
        """The line under each mail telling its recipient why it reached them (in the active language)."""
        title = self.session.title if self.session is not None else ""
        return {
            Segment.registered: _("You receive this message because you are registered for %(event)s."),
            Segment.onsite: _("You receive this message because you are registered to attend %(event)s on site."),
            Segment.online: _("You receive this message because you are registered to attend %(event)s online."),
            Segment.session_confirmed: _(
                "You receive this message because you have a place in the session “%(session)s” at %(event)s."
            ),
            Segment.session_waitlisted: _(
                "You receive this message because you are on the waitlist of the session “%(session)s” at %(event)s."
            ),
            Segment.speakers: _("You receive this message because you speak at %(event)s."),
            Segment.staff: _("You receive this message because you are on the staff of %(event)s."),
        }[self.segment] % {"event": event.title, "session": title}


@dataclass(frozen=True, slots=True)
class Recipient:
    address: str
    name: str
    language: str  # a site language code: the account's choice, else the registration's; empty: none known


async def audience(db: AsyncSession, *, event: Event, segment: str, session_id: int | None) -> Audience:
    """The segment named in a form; another event's session is not found."""
    try:
        chosen = Segment(segment)
    except ValueError:
        raise InvalidDraft({"segment": _("Please choose who the message goes to.")}) from None
    if not chosen.needs_session:
        return Audience(chosen)
    if session_id is None:
        raise InvalidDraft({"session": _("Please choose the session.")})
    session = (await db.exec(select(Session).where(Session.id == session_id, Session.event_id == event.id))).first()
    if session is None:
        raise NotFound(_("There is no such session in this event."))
    return Audience(chosen, session)


async def recipients(db: AsyncSession, *, event: Event, audience: Audience) -> list[Recipient]:
    """The segment's people now, each address once, ordered by address. Disabled accounts get nothing."""
    registered = (
        select(Registration.email, Registration.name, Account.language, Registration.language)
        .join(Account, col(Account.id) == Registration.account_id)
        .where(
            Registration.event_id == event.id,
            Registration.status == RegistrationStatus.confirmed,
            col(Account.disabled).is_(False),
        )
    )
    segment = audience.segment
    rows: list[tuple[str, str, str, str | None]] = []
    if segment in (Segment.registered, Segment.onsite, Segment.online):
        if segment != Segment.registered:
            attendance = Attendance.onsite if segment == Segment.onsite else Attendance.online
            registered = registered.where(Registration.attendance == attendance)
        rows = list((await db.exec(registered)).all())
    elif segment.needs_session and audience.session is not None:
        status = ChoiceStatus.confirmed if segment == Segment.session_confirmed else ChoiceStatus.waitlisted
        query = registered.join(SessionChoice, col(SessionChoice.registration_id) == Registration.id).where(
            SessionChoice.session_id == audience.session.id, SessionChoice.status == status
        )
        rows = list((await db.exec(query)).all())
    else:
        rows = await _accounts(db, event=event, segment=segment)
    people: dict[str, Recipient] = {}
    for address, name, chosen, registered_in in rows:
        key = address.strip().lower()
        if key and key not in people:
            people[key] = Recipient(address=address.strip(), name=name, language=chosen or registered_in or "")
    return [people[key] for key in sorted(people)]


async def _accounts(db: AsyncSession, *, event: Event, segment: Segment) -> list[tuple[str, str, str, str | None]]:
    """Speakers or staff (organisers, moderators of the event or a session, check-in staff): accounts, with the
    language they chose and their registration's language in the event when they have one."""
    roles = [Role.speaker] if segment == Segment.speakers else [Role.organiser, Role.moderator, Role.checkin]
    with_role = select(EventRole.account_id).where(EventRole.event_id == event.id, col(EventRole.role).in_(roles))
    account_ids = set((await db.exec(with_role)).all())
    if segment != Segment.speakers:  # a session's moderators are staff too
        in_session = select(SessionRole.account_id).where(SessionRole.event_id == event.id)
        account_ids |= set((await db.exec(in_session)).all())
    if segment == Segment.speakers:
        linked = select(Person.account_id).where(Person.event_id == event.id, col(Person.account_id).is_not(None))
        account_ids |= {account_id for account_id in (await db.exec(linked)).all() if account_id is not None}
    if not account_ids:
        return []
    query = (
        select(Account.email, Account.name, Account.language, Registration.language)
        .join(
            Registration,
            (col(Registration.account_id) == Account.id) & (col(Registration.event_id) == event.id),
            isouter=True,
        )
        .where(col(Account.id).in_(account_ids), col(Account.disabled).is_(False))
    )
    return list((await db.exec(query)).all())


async def sessions_to_choose(db: AsyncSession, *, event: Event) -> list[Session]:
    """The event's sessions in programme order: the compose form's choice for a session's segments."""
    rows = await db.exec(
        select(Session).where(Session.event_id == event.id).order_by(col(Session.start), col(Session.id))
    )
    return list(rows.all())
