"""Organisers approve or reject the registrations that wait for approval; the delegate is told by mail either
way. An approved registration takes a place like any other: confirmed, or waitlisted when its mode is full."""

from __future__ import annotations

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.accounts.actors import Actor
from server.accounts.services import account_language
from server.audit.services import record
from server.db import begin_write
from server.errors import Conflict, InvalidInput, NotFound
from server.events.models import Event
from server.i18n import gettext as _
from server.i18n import localised
from server.mail.services import queue_mail
from server.permissions import require
from server.registration.configuration import registration_settings
from server.registration.locking import lock_event
from server.registration.models import Registration, RegistrationStatus
from server.registration.places import mail_status, place
from server.registration.rules import can_approve_registrations
from server.registration.translations import in_language

MESSAGE_LIMIT = 2000


def decision_message(text: str) -> str:
    message = text.strip().replace("\r\n", "\n")
    if len(message) > MESSAGE_LIMIT:
        raise InvalidInput(_("The message is too long (%(limit)s characters at most).") % {"limit": MESSAGE_LIMIT})
    return message


async def _pending(db: AsyncSession, *, event: Event, registration_id: int) -> Registration:
    await begin_write(db)
    await lock_event(db, event=event)
    registration = (
        await db.exec(
            select(Registration)
            .where(Registration.id == registration_id, Registration.event_id == event.id)
            .with_for_update()
        )
    ).first()
    if registration is None:
        raise NotFound(_("There is no such registration in this event."))
    if registration.status != RegistrationStatus.pending:
        raise Conflict(_("This registration does not wait for approval (any more)."))
    return registration


def _with_message(body: str, message: str) -> str:
    return body + ("\n" + _("A message from the organisers:") + "\n\n" + message + "\n" if message else "")


async def approve(
    db: AsyncSession, *, actor: Actor, event: Event, registration_id: int, message: str = ""
) -> Registration:
    require(actor, can_approve_registrations, event)
    message = decision_message(message)
    registration = await _pending(db, event=event, registration_id=registration_id)
    settings = await registration_settings(db, event=event)
    await place(db, event=event, settings=settings, registration=registration)
    record(
        db,
        actor=actor,
        event=event,
        action="registration.approve",
        target_type="registration",
        target_id=registration.id,
        target_label=registration.email,
        before={"status": RegistrationStatus.pending},
        after={"status": registration.status, "message": message},
    )
    await mail_status(db, event=event, settings=settings, registration=registration, message=message)
    await db.commit()
    return registration


async def reject(
    db: AsyncSession, *, actor: Actor, event: Event, registration_id: int, message: str = ""
) -> Registration:
    require(actor, can_approve_registrations, event)
    message = decision_message(message)
    registration = await _pending(db, event=event, registration_id=registration_id)
    registration.status = RegistrationStatus.rejected
    db.add(registration)
    record(
        db,
        actor=actor,
        event=event,
        action="registration.reject",
        target_type="registration",
        target_id=registration.id,
        target_label=registration.email,
        before={"status": RegistrationStatus.pending},
        after={"status": registration.status, "message": message},
    )
    with in_language(await account_language(db, account_id=registration.account_id), registration.language):
        body = _("We are sorry: the organisers of {event} could not accept your registration.\n").format(
            event=localised(event, "title")
        )
        await queue_mail(
            db,
            recipient=registration.email,
            subject=_("Registration declined: {event}").format(event=localised(event, "title")),
            body=_with_message(body, message),
        )
    await db.commit()
    return registration
