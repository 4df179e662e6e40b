"""Registering for an event, confirming by email, changing attendance mode, cancelling."""

from __future__ import annotations

import dataclasses
import datetime as dt
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server import i18n
from server.accounts.emails import normalise_email
from server.accounts.models import Account
from server.accounts.revocations import Reason, record_revocation
from server.accounts.services import SignedIn, claim_sign_in_link, create_sign_in_link
from server.clock import utcnow
from server.db import begin_write
from server.errors import Conflict, InvalidInput, NotFound
from server.events.models import Event
from server.i18n import gettext as _
from server.links import Links
from server.mail.services import queue_mail
from server.registration.countries import is_country
from server.registration.locking import locked_registration
from server.registration.models import Attendance, ChoiceStatus, Registration, RegistrationStatus, SessionChoice
from server.registration.seats import release_seat, take_seats_for

# Records a change made on someone's behalf in the change's own transaction (the caller's audit entry).
Audit = Callable[[AsyncSession, Registration], object]
LIMITS = {"name": 200, "organisation": 200, "job_title": 200, "accessibility_needs": 1000}


@dataclass(frozen=True)
class RegistrationInput:
    """What a delegate may set on their registration: exactly these fields, validated."""

    name: str
    email: str
    country: str
    organisation: str
    job_title: str
    attendance: Attendance
    language: str
    accessibility_needs: str
    listed: bool

    @classmethod
    def parse(
        cls,
        *,
        name: str,
        email: str,
        country: str,
        organisation: str = "",
        job_title: str = "",
        attendance: str,
        language: str = "en",
        accessibility_needs: str = "",
        listed: bool = False,
    ) -> RegistrationInput:
        fields = {
            "name": name.strip(),
            "organisation": organisation.strip(),
            "job_title": job_title.strip(),
            "accessibility_needs": accessibility_needs.strip(),
        }
        labels = {
            "name": _("Name"),
            "organisation": _("Organisation"),
            "job_title": _("Job title"),
            "accessibility_needs": _("Accessibility needs"),
        }
        for field, value in fields.items():
            if len(value) > LIMITS[field]:
                raise InvalidInput(
                    _("{field} is too long ({limit} characters at most).").format(
                        field=labels[field], limit=LIMITS[field]
                    )
                )
        if not fields["name"]:
            raise InvalidInput(_("Please enter your name."))
        if not is_country(country.strip()):
            raise InvalidInput(_("Please choose your country from the list."))
        try:
            mode = Attendance(attendance)
        except ValueError:
            raise InvalidInput(_("Please choose whether you attend on site or online.")) from None
        chosen_language = i18n.find_language(language)
        if chosen_language is None:
            raise InvalidInput(_("Please choose a language from the list."))
        return cls(
            name=fields["name"],
            email=normalise_email(email),
            country=country.strip().upper(),
            organisation=fields["organisation"],
            job_title=fields["job_title"],
            attendance=mode,
            language=chosen_language.code,
            accessibility_needs=fields["accessibility_needs"],
            listed=listed,
        )


async def find_registration(db: AsyncSession, *, event: Event, account: Account | None) -> Registration | None:
    if account is None:
        return None
    return (
        await db.exec(
            select(Registration).where(Registration.event_id == event.id, Registration.account_id == account.id)
        )
    ).first()


@dataclass(frozen=True)
class Registered:
    registration: Registration
    needs_confirmation: bool


async def register(
    db: AsyncSession,
    *,
    event: Event,
    account: Account | None,
    data: RegistrationInput,
    requester_ip: str,
    links: Links,
    audit: Audit | None = None,
) -> Registered:
    """Signed-in people are confirmed at once (their address is proven); others confirm by the emailed link.
    ``audit`` records the change in its transaction when someone else makes it (an integration's API token)."""
    email = account.email if account is not None else data.email
    await begin_write(db)
    owner = account or (await db.exec(select(Account).where(Account.email == email))).first()
    if owner is None:
        owner = Account(email=email, name=data.name)
        db.add(owner)
        await db.flush()
    registration = await find_registration(db, event=event, account=owner)
    # A cancelled registration, or one never confirmed (the link expired or got lost), may be made again.
    if registration is not None and registration.status == RegistrationStatus.confirmed:
        if account is None:
            raise Conflict(_("This address is already registered. Sign in to see or change your registration."))
        raise Conflict(_("You are already registered for this event."))
    if registration is None:
        registration = Registration(
            event_id=event.id or 0,
            account_id=owner.id or 0,
            badge_nonce=secrets.token_hex(8),
            feed_token=secrets.token_urlsafe(24),
            name=data.name,
            email=email,
            country=data.country,
            attendance=data.attendance,
        )
    for field in (
        "name",
        "country",
        "organisation",
        "job_title",
        "attendance",
        "language",
        "accessibility_needs",
        "listed",
    ):
        setattr(registration, field, getattr(data, field))
    registration.email = email
    registration.cancelled_at = None
    registration.created_at = utcnow()
    confirmed = account is not None
    registration.status = RegistrationStatus.confirmed if confirmed else RegistrationStatus.unconfirmed
    registration.confirmed_at = utcnow() if confirmed else None
    db.add(registration)
    await db.flush()
    page = links.registration_page(event.slug)
    if confirmed:
        body = _("You are registered for {event} ({mode}). Your registration, badge and agenda:\n\n{page}\n")
        await queue_mail(
            db,
            recipient=email,
            subject=_("Registration confirmed: {event}").format(event=event.title),
            body=body.format(event=event.title, mode=attendance_label(data.attendance), page=page),
        )
    else:
        token = await create_sign_in_link(
            db,
            email=email,
            requester_ip=requester_ip,
            next_path=links.registration_path(event.slug),
            confirms_registration_id=registration.id,
        )
        body = _(
            "Please confirm your registration for {event} by opening this link. It works once and expires "
            "in 30 minutes:\n\n{link}\n"
        )
        await queue_mail(
            db,
            recipient=email,
            subject=_("Confirm your registration: {event}").format(event=event.title),
            body=body.format(event=event.title, link=links.sign_in(token)),
        )
    if audit is not None:
        audit(db, registration)
    await db.commit()
    return Registered(registration=registration, needs_confirmation=not confirmed)


def attendance_label(mode: str) -> str:
    return _("on site") if mode == Attendance.onsite else _("online")


async def use_sign_in_link(
    db: AsyncSession, *, token: str, user_agent: str = "", now: dt.datetime | None = None
) -> SignedIn:
    """Signs in by an emailed link and confirms the registration it was mailed for, in one transaction."""
    now = now or utcnow()
    signed_in, link = await claim_sign_in_link(db, token=token, user_agent=user_agent, now=now)
    if link.confirms_registration_id is not None:
        confirmed = await confirm_registration(db, registration_id=link.confirms_registration_id, now=now)
        signed_in = dataclasses.replace(signed_in, confirmed_registration_id=confirmed)
    await db.commit()
    return signed_in


async def confirm_registration(db: AsyncSession, *, registration_id: int, now: dt.datetime) -> int | None:
    """Part of using a confirmation link (the caller commits)."""
    registration = await db.get(Registration, registration_id)
    if registration is None or registration.status != RegistrationStatus.unconfirmed:
        return None
    registration.status = RegistrationStatus.confirmed
    registration.confirmed_at = now
    db.add(registration)
    return registration_id


async def change_attendance(
    db: AsyncSession, *, event: Event, account: Account, attendance: str, audit: Audit | None = None
) -> Registration:
    """On site → online frees every seat; online → on site only when each picked session has a seat left."""
    try:
        mode = Attendance(attendance)
    except ValueError:
        raise InvalidInput(_("Please choose whether you attend on site or online.")) from None
    registration = await locked_registration(db, event=event, account=account)
    if registration.attendance == mode:
        await db.rollback()
        return registration
    choices = (await db.exec(select(SessionChoice).where(SessionChoice.registration_id == registration.id))).all()
    if mode == Attendance.online:
        for choice in choices:
            was_seated = choice.attendance == Attendance.onsite and choice.status == ChoiceStatus.confirmed
            choice.attendance, choice.status = Attendance.online, ChoiceStatus.confirmed
            db.add(choice)
            if was_seated:
                await db.flush()
                await release_seat(db, event=event, session_id=choice.session_id)
    else:
        await take_seats_for(db, event=event, choices=list(choices))
    registration.attendance = mode
    db.add(registration)
    if audit is not None:
        audit(db, registration)
    await db.commit()
    return registration


async def cancel_registration(
    db: AsyncSession, *, event: Event, account: Account, audit: Audit | None = None
) -> Registration:
    """Frees every seat (promoting the waitlists) and keeps the record, marked cancelled. The person's open
    live connections lose the rooms they entered as registered people within a second or two."""
    registration = await locked_registration(db, event=event, account=account)
    await cancel_locked(db, event=event, registration=registration)
    await record_revocation(db, account_id=account.id or 0, event_id=event.id, reason=Reason.cancelled)
    if audit is not None:
        audit(db, registration)
    await db.commit()
    return registration


async def cancel_locked(db: AsyncSession, *, event: Event, registration: Registration) -> None:
    """Cancels a registration the caller locked (not committed): frees its seats, promoting the waitlists."""
    choices = (await db.exec(select(SessionChoice).where(SessionChoice.registration_id == registration.id))).all()
    for choice in choices:
        seated = choice.attendance == Attendance.onsite and choice.status == ChoiceStatus.confirmed
        await db.delete(choice)
        if seated:
            await db.flush()
            await release_seat(db, event=event, session_id=choice.session_id)
    registration.status = RegistrationStatus.cancelled
    registration.cancelled_at = utcnow()
    db.add(registration)


async def rotate_feed_token(db: AsyncSession, *, event: Event, account: Account) -> Registration:
    registration = await locked_registration(db, event=event, account=account)
    registration.feed_token = secrets.token_urlsafe(24)
    db.add(registration)
    await db.commit()
    return registration


async def registrations_of(db: AsyncSession, *, account: Account) -> list[tuple[Registration, Event]]:
    """Every event the account registered for, newest event first."""
    rows = await db.exec(
        select(Registration, Event)
        .join(Event, col(Event.id) == col(Registration.event_id))
        .where(Registration.account_id == account.id)
        .order_by(col(Event.start_date).desc())
    )
    return list(rows.all())


async def registration_by_feed_token(db: AsyncSession, *, event: Event, token: str) -> Registration:
    registration = None
    if 10 <= len(token) <= 64:
        registration = (
            await db.exec(
                select(Registration).where(
                    Registration.event_id == event.id,
                    Registration.feed_token == token,
                    col(Registration.status) == RegistrationStatus.confirmed,
                )
            )
        ).first()
    if registration is None:
        raise NotFound(_("This calendar address is not valid any more."))
    return registration
