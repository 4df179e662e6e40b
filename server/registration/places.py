"""The event's places per attendance mode: a registration beyond its mode's limit waits on the waitlist, and the
first waiting is promoted, in the same transaction, when a place frees (a cancellation, a mode change, a removal,
a limit raised).

Atomicity follows the seats' (``seats.py``): callers start with ``begin_write`` and hold the event's row
(``locking.lock_event``) before any registration's, so places are counted and handed out one change at a time.
A waitlisted or pending registration holds no session picks, so promoting one never waits on a session's row.
"""

from __future__ import annotations

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.accounts.services import account_language
from server.clock import utcnow
from server.errors import Conflict
from server.events.models import Event
from server.i18n import gettext as _
from server.i18n import localised
from server.mail.services import queue_mail
from server.registration.models import Attendance, Registration, RegistrationSettings, RegistrationStatus
from server.registration.translations import in_language, translated


def require_confirmed(registration: Registration) -> None:
    """Badges, session picks and the rooms are for confirmed registrations only: the others are told why not."""
    if registration.status == RegistrationStatus.confirmed:
        return
    reasons: dict[str, str] = {
        RegistrationStatus.pending: _(
            "Your registration waits for the organisers' approval: your badge and session picks come once it is approved."
        ),
        RegistrationStatus.waitlisted: _(
            "You are on the waitlist: your badge and session picks come once a place is yours."
        ),
        RegistrationStatus.rejected: _("The organisers declined your registration for this event."),
    }
    raise Conflict(
        reasons.get(registration.status, _("Please confirm your registration first: the link is in your email."))
    )


def limit_for(settings: RegistrationSettings, mode: str) -> int | None:
    return settings.onsite_limit if mode == Attendance.onsite else settings.online_limit


def attendance_words(mode: str) -> str:
    return _("on site") if mode == Attendance.onsite else _("online")


async def confirmed_count(db: AsyncSession, *, event: Event, mode: str) -> int:
    query = (
        select(func.count())
        .select_from(Registration)
        .where(
            Registration.event_id == event.id,
            Registration.attendance == mode,
            Registration.status == RegistrationStatus.confirmed,
        )
    )
    return int((await db.exec(query)).one())


async def has_place(db: AsyncSession, *, event: Event, settings: RegistrationSettings, mode: str) -> bool:
    limit = limit_for(settings, mode)
    return limit is None or await confirmed_count(db, event=event, mode=mode) < limit


async def place(db: AsyncSession, *, event: Event, settings: RegistrationSettings, registration: Registration) -> None:
    """Confirms the registration if its mode has a place left, else puts it at the end of the waitlist (the
    caller holds the event's lock and commits)."""
    registration.confirmed_at = registration.confirmed_at or utcnow()
    if await has_place(db, event=event, settings=settings, mode=registration.attendance):
        registration.status = RegistrationStatus.confirmed
        registration.waitlist_number = None
    else:
        last = (
            await db.exec(select(func.max(Registration.waitlist_number)).where(Registration.event_id == event.id))
        ).one()
        registration.status = RegistrationStatus.waitlisted
        registration.waitlist_number = (last or 0) + 1
    db.add(registration)
    await db.flush()


async def waitlist_position(db: AsyncSession, *, registration: Registration) -> int | None:
    """1 for the next to be promoted in the registration's mode; None when not waitlisted."""
    if registration.status != RegistrationStatus.waitlisted or registration.waitlist_number is None:
        return None
    ahead = await db.exec(
        select(func.count())
        .select_from(Registration)
        .where(
            Registration.event_id == registration.event_id,
            Registration.attendance == registration.attendance,
            Registration.status == RegistrationStatus.waitlisted,
            col(Registration.waitlist_number) < registration.waitlist_number,
        )
    )
    return int(ahead.one()) + 1


async def fill_places(
    db: AsyncSession, *, event: Event, settings: RegistrationSettings, mode: str
) -> list[Registration]:
    """Promotes the first waitlisted of ``mode``, in order, while places are left; each is told by mail (the
    caller holds the event's lock and commits)."""
    promoted: list[Registration] = []
    while await has_place(db, event=event, settings=settings, mode=mode):
        registration = (
            await db.exec(
                select(Registration)
                .where(
                    Registration.event_id == event.id,
                    Registration.attendance == mode,
                    Registration.status == RegistrationStatus.waitlisted,
                )
                .order_by(col(Registration.waitlist_number), col(Registration.id))
                .limit(1)
                .with_for_update()
            )
        ).first()
        if registration is None:
            break
        registration.status = RegistrationStatus.confirmed
        registration.waitlist_number = None
        db.add(registration)
        await db.flush()
        await mail_status(db, event=event, settings=settings, registration=registration, promoted=True)
        promoted.append(registration)
    return promoted


async def mail_status(
    db: AsyncSession,
    *,
    event: Event,
    settings: RegistrationSettings,
    registration: Registration,
    promoted: bool = False,
    page: str = "",
    message: str = "",
) -> None:
    """Tells the person where their registration stands, in their language (see ``status_mail``)."""
    chosen = await account_language(db, account_id=registration.account_id)
    with in_language(chosen, registration.language):
        mail = await status_mail(
            db,
            event=event,
            settings=settings,
            registration=registration,
            promoted=promoted,
            page=page,
            message=message,
        )
    if mail is not None:
        await queue_mail(db, recipient=registration.email, subject=mail[0], body=mail[1])


async def status_mail(
    db: AsyncSession | None,
    *,
    event: Event,
    settings: RegistrationSettings,
    registration: Registration,
    promoted: bool = False,
    page: str = "",
    message: str = "",
) -> tuple[str, str] | None:
    """The subject and body telling where a registration stands; a confirmed one carries the organisers'
    paragraph. ``page``: the registration page's address, where the mail may link to it; ``message``: an
    organiser's words on approving it. ``db`` may be None for a confirmed registration (the settings' preview)."""
    mode = attendance_words(registration.attendance)
    where = _("Your registration, badge and agenda:\n\n{page}\n").format(page=page) if page else ""
    if registration.status == RegistrationStatus.confirmed:
        subject = (_("A place is yours: {event}") if promoted else _("Registration confirmed: {event}")).format(
            event=localised(event, "title")
        )
        opening = (
            _("A place freed up and you moved from the waitlist to a confirmed registration for {event} ({mode}).\n")
            if promoted
            else _("You are registered for {event} ({mode}).\n")
        )
        body = opening.format(event=localised(event, "title"), mode=mode)
        paragraph = translated(settings.confirmation_text, event, registration.language)
        body += ("\n" + paragraph + "\n" if paragraph else "") + ("\n" + where if where else "")
    elif registration.status == RegistrationStatus.waitlisted and db is not None:
        position = await waitlist_position(db, registration=registration)
        subject = _("On the waitlist: {event}").format(event=localised(event, "title"))
        body = _(
            "Every {mode} place at {event} is taken: you are on the waitlist, number {position}. "
            "We write to you as soon as a place is yours.\n"
        ).format(mode=mode, event=localised(event, "title"), position=position)
        body += "\n" + where if where else ""
    elif registration.status == RegistrationStatus.pending:
        subject = _("Registration received: {event}").format(event=localised(event, "title"))
        body = _(
            "Thank you for registering for {event} ({mode}). The organisers review each registration: "
            "we write to you when they have decided.\n"
        ).format(event=localised(event, "title"), mode=mode)
    else:
        return None
    if message:
        body += "\n" + _("A message from the organisers:") + "\n\n" + message + "\n"
    return subject, body
