"""Registering for an event, confirming by email, changing attendance mode, cancelling."""

from __future__ import annotations

import dataclasses
import datetime as dt
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

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
from server.i18n import localised
from server.links import Links
from server.mail.services import queue_mail
from server.registration.answers import parse_answers, save_answers
from server.registration.configuration import (
    DEFAULT_MODES,
    InvalidFields,
    field_modes,
    registration_settings,
    require_open,
)
from server.registration.countries import is_country
from server.registration.locking import lock_event, locked_registration
from server.registration.models import (
    Attendance,
    ChoiceStatus,
    FieldMode,
    Registration,
    RegistrationQuestion,
    RegistrationSettings,
    RegistrationStatus,
    SessionChoice,
)
from server.registration.places import attendance_words, fill_places, has_place, mail_status, place
from server.registration.seats import release_seat, take_seats_for
from server.registration.translations import in_language

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
        country: str = "",
        organisation: str = "",
        job_title: str = "",
        attendance: str,
        language: str = "",
        accessibility_needs: str = "",
        listed: bool = False,
        modes: Mapping[str, FieldMode] | None = None,
    ) -> RegistrationInput:
        """``modes``: which standard fields the event's form asks and requires (the defaults without)."""
        modes = {**DEFAULT_MODES, **(modes or {})}
        errors: dict[str, str] = {}
        fields = {
            "name": name.strip(),
            "organisation": organisation.strip() if modes["organisation"] != FieldMode.hidden else "",
            "job_title": job_title.strip() if modes["job_title"] != FieldMode.hidden else "",
            "accessibility_needs": accessibility_needs.strip()
            if modes["accessibility_needs"] != FieldMode.hidden
            else "",
        }
        labels = {
            "name": _("Name"),
            "organisation": _("Organisation"),
            "job_title": _("Job title"),
            "accessibility_needs": _("Accessibility needs"),
        }
        for field, value in fields.items():
            if len(value) > LIMITS[field]:
                errors[field] = _("{field} is too long ({limit} characters at most).").format(
                    field=labels[field], limit=LIMITS[field]
                )
            elif not value and modes.get(field) == FieldMode.required:
                errors[field] = _("Please fill in this field.")
        if not fields["name"]:
            errors["name"] = _("Please enter your name.")
        try:
            address = normalise_email(email)
        except InvalidInput as error:
            errors["email"], address = error.message, ""
        country = country.strip().upper() if modes["country"] != FieldMode.hidden else ""
        if (country or modes["country"] == FieldMode.required) and not is_country(country):
            errors["country"] = _("Please choose your country from the list.")
        try:
            mode = Attendance(attendance)
        except ValueError:
            errors["attendance"], mode = _("Please choose whether you attend on site or online."), Attendance.online
        asks_language = modes["language"] != FieldMode.hidden
        chosen_language = i18n.find_language(language) if asks_language else None
        if asks_language and chosen_language is None and (language or modes["language"] == FieldMode.required):
            errors["language"] = _("Please choose a language from the list.")
        listed = listed and modes["listed"] != FieldMode.hidden
        if modes["listed"] == FieldMode.required and not listed:
            errors["listed"] = _("Registering for this event needs your consent to appear in the participant list.")
        if errors:
            raise InvalidFields(errors)
        return cls(
            name=fields["name"],
            email=address,
            country=country,
            organisation=fields["organisation"],
            job_title=fields["job_title"],
            attendance=mode,
            language=(chosen_language or i18n.current_language()).code,
            accessibility_needs=fields["accessibility_needs"],
            listed=listed,
        )


def parse_registration_form(
    *,
    event: Event,
    settings: RegistrationSettings,
    questions: list[RegistrationQuestion],
    values: Mapping[str, Any],
    answers: Mapping[str, str],
) -> tuple[RegistrationInput, dict[int, str]]:
    """The register form as the event asks it: its standard fields and its questions, every error at once."""
    errors: dict[str, str] = {}
    data, parsed = None, {}
    try:
        data = RegistrationInput.parse(**values, modes=field_modes(settings))
    except InvalidFields as error:
        errors.update(error.errors)
    try:
        parsed = parse_answers(questions, event, answers)
    except InvalidFields as error:
        errors.update(error.errors)
    if errors or data is None:
        raise InvalidFields(errors)
    return data, parsed


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
    answers: Mapping[int, str] | None = None,
    audit: Audit | None = None,
) -> Registered:
    """Signed-in people are admitted at once (their address is proven); others confirm by the emailed link.
    Admitted means confirmed, waitlisted when their mode is full, or pending when organisers approve each one.
    ``answers``: the custom questions' answers by question id, checked by ``answers.parse_answers``.
    ``audit`` records the change in its transaction when someone else makes it (an integration's API token)."""
    email = account.email if account is not None else data.email
    await begin_write(db)
    await lock_event(db, event=event)
    settings = await registration_settings(db, event=event)
    require_open(settings)
    owner = account or (await db.exec(select(Account).where(Account.email == email))).first()
    if owner is None:
        owner = Account(email=email, name=data.name)
        db.add(owner)
        await db.flush()
    registration = await find_registration(db, event=event, account=owner)
    # A cancelled registration, or one never confirmed (the link expired or got lost), may be made again.
    if registration is not None and registration.status == RegistrationStatus.rejected:
        raise Conflict(_("The organisers declined your registration for this event. Please write to them."))
    if registration is not None and registration.status not in {
        RegistrationStatus.unconfirmed,
        RegistrationStatus.cancelled,
    }:
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
    if audit is None or not owner.language:  # their own registration: mails to them follow its language
        owner.language = data.language
        db.add(owner)
    registration.cancelled_at = None
    registration.created_at = utcnow()
    registration.status = RegistrationStatus.unconfirmed
    registration.confirmed_at = None
    db.add(registration)
    await db.flush()
    await save_answers(db, event=event, registration=registration, answers=answers or {})
    confirmed = account is not None
    if confirmed:
        await admit(db, event=event, settings=settings, registration=registration)
        await mail_status(
            db, event=event, settings=settings, registration=registration, page=links.registration_page(event.slug)
        )
    else:
        token = await create_sign_in_link(
            db,
            email=email,
            requester_ip=requester_ip,
            next_path=links.registration_path(event.slug),
            confirms_registration_id=registration.id,
        )
        with in_language(registration.language):
            body = _(
                "Please confirm your registration for {event} by opening this link. It works once and expires "
                "in 30 minutes:\n\n{link}\n"
            )
            await queue_mail(
                db,
                recipient=email,
                subject=_("Confirm your registration: {event}").format(event=localised(event, "title")),
                body=body.format(event=localised(event, "title"), link=links.sign_in(token)),
            )
    if audit is not None:
        audit(db, registration)
    await db.commit()
    return Registered(registration=registration, needs_confirmation=not confirmed)


async def admit(db: AsyncSession, *, event: Event, settings: RegistrationSettings, registration: Registration) -> None:
    """A registration whose address is proven: pending when organisers approve each one, else placed."""
    if settings.requires_approval:
        registration.status = RegistrationStatus.pending
        registration.confirmed_at = utcnow()
        db.add(registration)
        await db.flush()
    else:
        await place(db, event=event, settings=settings, registration=registration)


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
    """Part of using a confirmation link (the caller commits). A link mailed while registration was open still
    confirms after it closes. The mail tells where the registration stands unless the page says it all."""
    registration = await db.get(Registration, registration_id)
    if registration is None or registration.status != RegistrationStatus.unconfirmed:
        return None
    event = await db.get_one(Event, registration.event_id)
    await lock_event(db, event=event)
    await db.refresh(registration)
    if registration.status != RegistrationStatus.unconfirmed:
        return None
    settings = await registration_settings(db, event=event)
    registration.confirmed_at = now
    await admit(db, event=event, settings=settings, registration=registration)
    if registration.status != RegistrationStatus.confirmed or settings.confirmation_text:
        await mail_status(db, event=event, settings=settings, registration=registration)
    return registration_id


async def change_attendance(
    db: AsyncSession, *, event: Event, account: Account, attendance: str, audit: Audit | None = None
) -> Registration:
    """On site → online frees every seat; online → on site only when each picked session has a seat left.
    A confirmed registration moves only to a mode with a place left (the place it leaves goes to that mode's
    waitlist); a waitlisted one joins the other mode's waitlist when that one is full too."""
    try:
        mode = Attendance(attendance)
    except ValueError:
        raise InvalidInput(_("Please choose whether you attend on site or online.")) from None
    registration = await locked_registration(db, event=event, account=account, holding_places=True)
    if registration.attendance == mode:
        await db.rollback()
        return registration
    settings = await registration_settings(db, event=event)
    previous, status = registration.attendance, registration.status
    if status == RegistrationStatus.confirmed and not await has_place(db, event=event, settings=settings, mode=mode):
        raise Conflict(
            _("Every {mode} place is taken: you keep your registration as it is.").format(mode=attendance_words(mode))
        )
    choices = (await db.exec(select(SessionChoice).where(SessionChoice.registration_id == registration.id))).all()
    registration.attendance = mode
    db.add(registration)
    await db.flush()
    if status == RegistrationStatus.waitlisted:
        await place(db, event=event, settings=settings, registration=registration)
    await fill_places(db, event=event, settings=settings, mode=previous)
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
    if audit is not None:
        audit(db, registration)
    await db.commit()
    return registration


async def cancel_registration(
    db: AsyncSession, *, event: Event, account: Account, audit: Audit | None = None
) -> Registration:
    """Frees every seat (promoting the waitlists) and keeps the record, marked cancelled. The person's open
    live connections lose the rooms they entered as registered people within a second or two."""
    registration = await locked_registration(db, event=event, account=account, holding_places=True)
    await cancel_locked(db, event=event, registration=registration)
    await record_revocation(db, account_id=account.id or 0, event_id=event.id, reason=Reason.cancelled)
    if audit is not None:
        audit(db, registration)
    await db.commit()
    return registration


async def cancel_locked(db: AsyncSession, *, event: Event, registration: Registration) -> None:
    """Cancels a registration the caller locked, holding the event's lock (not committed): its place goes to
    the first on its mode's waitlist, then its seats to the sessions' waitlists."""
    registration.status = RegistrationStatus.cancelled
    registration.cancelled_at = utcnow()
    registration.waitlist_number = None
    db.add(registration)
    await db.flush()
    settings = await registration_settings(db, event=event)
    await fill_places(db, event=event, settings=settings, mode=registration.attendance)
    choices = (await db.exec(select(SessionChoice).where(SessionChoice.registration_id == registration.id))).all()
    for choice in choices:
        seated = choice.attendance == Attendance.onsite and choice.status == ChoiceStatus.confirmed
        await db.delete(choice)
        if seated:
            await db.flush()
            await release_seat(db, event=event, session_id=choice.session_id)


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
