"""Asking for a reminder before a picked session, the browsers that receive its notification, and the calendar
feed's alarms. Permissions here: a reminder is a delegate's, for a session on their agenda."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, delete, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.accounts.actors import Actor
from server.agenda.models import Session
from server.db import begin_write
from server.errors import Conflict, InvalidInput, NotFound
from server.events.models import Event
from server.i18n import gettext as _
from server.permissions import require
from server.registration.models import Registration, RegistrationStatus, SessionChoice
from server.reminders.models import DEFAULT_MINUTES, REMINDER_MINUTES, PushKey, PushSubscription, Reminder
from server.reminders.rules import can_set_reminders
from server.reminders.webpush import AUTH_SECRET_BYTES, VapidKey, browser_key, unb64url

MAX_REMINDERS = 200  # per registration: more than any programme has sessions
MAX_PUSH_SUBSCRIPTIONS = 10  # per account: a new browser past this pushes out the oldest
MAX_ENDPOINT = 1000


@dataclass(frozen=True)
class ReminderState:
    """What the reminder form shows: the session, whether it is on the delegate's agenda, and their reminder."""

    session: Session
    registration: Registration | None  # confirmed, or None
    picked: bool
    reminder: Reminder | None


async def _session(db: AsyncSession, *, event: Event, code: str) -> Session:
    found = (await db.exec(select(Session).where(Session.event_id == event.id, Session.code == code))).first()
    if found is None:
        raise NotFound(_("There is no such session in this event."))
    return found


async def _confirmed_registration(db: AsyncSession, *, event: Event, actor: Actor) -> Registration | None:
    if actor.account is None:
        return None
    return (
        await db.exec(
            select(Registration).where(
                Registration.event_id == event.id,
                Registration.account_id == actor.account.id,
                Registration.status == RegistrationStatus.confirmed,
            )
        )
    ).first()


async def _picked(db: AsyncSession, *, registration: Registration, session_id: int) -> bool:
    found = await db.exec(
        select(SessionChoice.id).where(
            SessionChoice.registration_id == registration.id, SessionChoice.session_id == session_id
        )
    )
    return found.first() is not None


async def _reminder(db: AsyncSession, *, registration: Registration, session_id: int) -> Reminder | None:
    return (
        await db.exec(
            select(Reminder).where(Reminder.registration_id == registration.id, Reminder.session_id == session_id)
        )
    ).first()


async def reminder_state(db: AsyncSession, *, actor: Actor, event: Event, code: str) -> ReminderState:
    """Anyone may ask (the answer for a visitor is "no registration"); another event's session is not found."""
    session = await _session(db, event=event, code=code)
    registration = await _confirmed_registration(db, event=event, actor=actor)
    if registration is None:
        return ReminderState(session=session, registration=None, picked=False, reminder=None)
    picked = await _picked(db, registration=registration, session_id=session.id or 0)
    reminder = await _reminder(db, registration=registration, session_id=session.id or 0)
    return ReminderState(session=session, registration=registration, picked=picked, reminder=reminder)


async def set_reminder(
    db: AsyncSession, *, actor: Actor, event: Event, code: str, minutes: int, by_mail: bool, by_push: bool
) -> Reminder:
    """Asks for (or changes) the delegate's reminder before a session on their agenda."""
    require(actor, can_set_reminders)
    if minutes not in REMINDER_MINUTES:
        raise InvalidInput(_("Choose how long before the session to be reminded: 5, 15, 30 or 60 minutes."))
    if not (by_mail or by_push):
        raise InvalidInput(_("Choose at least one way to be reminded: by mail or by a notification."))
    await begin_write(db)
    session = await _session(db, event=event, code=code)
    registration = await _confirmed_registration(db, event=event, actor=actor)
    if registration is None:
        raise NotFound(_("You are not registered for this event."))
    if session.cancelled:
        raise Conflict(_("This session is cancelled: there is nothing to be reminded of."))
    if not await _picked(db, registration=registration, session_id=session.id or 0):
        raise Conflict(_("Add the session to your agenda first: reminders are for the sessions you picked."))
    reminder = await _reminder(db, registration=registration, session_id=session.id or 0)
    if reminder is None:
        count = (
            await db.exec(select(func.count()).select_from(Reminder).where(Reminder.registration_id == registration.id))
        ).one()
        if count >= MAX_REMINDERS:
            raise Conflict(_("You have as many reminders as Podium keeps for one person: remove one first."))
        reminder = Reminder(event_id=event.id or 0, registration_id=registration.id or 0, session_id=session.id or 0)
    if reminder.minutes != minutes:
        reminder.sent_for = None  # a changed time is a new reminder, even if the last one went out
    reminder.minutes = minutes
    reminder.by_mail = by_mail
    reminder.by_push = by_push
    db.add(reminder)
    await db.commit()
    await db.refresh(reminder)
    return reminder


async def remove_reminder(db: AsyncSession, *, actor: Actor, event: Event, code: str) -> bool:
    """True when there was a reminder to remove."""
    require(actor, can_set_reminders)
    await begin_write(db)
    session = await _session(db, event=event, code=code)
    registration = await _confirmed_registration(db, event=event, actor=actor)
    if registration is None:
        raise NotFound(_("You are not registered for this event."))
    reminder = await _reminder(db, registration=registration, session_id=session.id or 0)
    if reminder is not None:
        await db.delete(reminder)
    await db.commit()
    return reminder is not None


async def reminders_of(db: AsyncSession, *, registration: Registration) -> dict[int, Reminder]:
    """The delegate's reminders by session id."""
    rows = await db.exec(select(Reminder).where(Reminder.registration_id == registration.id))
    return {reminder.session_id: reminder for reminder in rows.all()}


async def alarm_minutes(db: AsyncSession, *, registration: Registration) -> dict[int, int]:
    """Session id → the minutes before it that the calendar feed's alarm rings: the reminder's, else the default."""
    rows = await db.exec(
        select(SessionChoice.session_id, Reminder.minutes)
        .outerjoin(
            Reminder,
            (col(Reminder.registration_id) == col(SessionChoice.registration_id))
            & (col(Reminder.session_id) == col(SessionChoice.session_id)),
        )
        .where(SessionChoice.registration_id == registration.id)
    )
    return {session_id: minutes or DEFAULT_MINUTES for session_id, minutes in rows.all()}


def _internal_host(host: str) -> bool:
    """An address of this machine or its private network, which no browser's push service has."""
    if host == "localhost" or host.endswith((".localhost", ".local", ".internal")):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return not address.is_global


def checked_endpoint(endpoint: str, *, allow_http: bool) -> str:
    """A push service's address as a browser gave it: public https. ``allow_http`` (outside production, for a
    test's push service on this machine) also lets plain http and local addresses through."""
    try:
        parts = urlsplit(endpoint.strip())
        scheme, host = parts.scheme, parts.hostname or ""
        parts.port  # noqa: B018 -- raises ValueError on a port that is not a number
    except ValueError:  # a broken IPv6 literal or port
        scheme, host = "", ""
    schemes = {"https", "http"} if allow_http else {"https"}
    if len(endpoint) > MAX_ENDPOINT or scheme not in schemes or not host:
        raise InvalidInput(_("This browser's notification address is not one Podium can use."))
    if not allow_http and _internal_host(host):
        raise InvalidInput(_("This browser's notification address is not one Podium can use."))
    return endpoint.strip()


async def subscribe_push(
    db: AsyncSession, *, actor: Actor, endpoint: str, p256dh: str, auth: str, allow_http: bool = False
) -> PushSubscription:
    """Stores a browser's subscription for the signed-in account; the same browser again updates its keys."""
    if actor.account is None:
        raise NotFound(_("There is no page at this address."))
    endpoint = checked_endpoint(endpoint, allow_http=allow_http)
    try:
        browser_key(p256dh)
        if len(unb64url(auth)) != AUTH_SECRET_BYTES:
            raise ValueError("bad authentication secret")
    except ValueError as bad:
        raise InvalidInput(_("This browser's notification keys are not ones Podium can use.")) from bad
    await begin_write(db)
    account_id = actor.account.id or 0
    found = (await db.exec(select(PushSubscription).where(PushSubscription.endpoint == endpoint))).first()
    if found is None:
        found = PushSubscription(account_id=account_id, endpoint=endpoint, p256dh=p256dh, auth=auth)
        kept = (
            await db.exec(
                select(PushSubscription.id)
                .where(PushSubscription.account_id == account_id)
                .order_by(col(PushSubscription.created_at).desc(), col(PushSubscription.id).desc())
                .offset(MAX_PUSH_SUBSCRIPTIONS - 1)
            )
        ).all()
        if kept:  # the oldest browsers make room: a person's old phone rarely says it is gone
            await db.exec(delete(PushSubscription).where(col(PushSubscription.id).in_(kept)))
    found.account_id = account_id
    found.p256dh = p256dh
    found.auth = auth
    db.add(found)
    await db.commit()
    await db.refresh(found)
    return found


async def unsubscribe_push(db: AsyncSession, *, actor: Actor, endpoint: str) -> bool:
    """A browser of the account's stops receiving notifications; True when it had a subscription."""
    if actor.account is None:
        raise NotFound(_("There is no page at this address."))
    await begin_write(db)
    result = await db.exec(
        delete(PushSubscription).where(
            col(PushSubscription.endpoint) == endpoint.strip(), col(PushSubscription.account_id) == actor.account.id
        )
    )
    await db.commit()
    return bool(result.rowcount)


async def push_subscription_count(db: AsyncSession, *, account_id: int) -> int:
    query = select(func.count()).select_from(PushSubscription).where(PushSubscription.account_id == account_id)
    return int((await db.exec(query)).one())


async def site_vapid_key(db: AsyncSession) -> VapidKey:
    """The site's VAPID key, made and stored the first time it is needed (two processes at once: one row wins)."""
    stored = await db.get(PushKey, 1)
    if stored is not None:
        return VapidKey.from_text(stored.private_key)
    made = VapidKey.generate()
    try:
        await begin_write(db)
        db.add(PushKey(id=1, private_key=made.to_text()))
        await db.commit()
    except IntegrityError:
        await db.rollback()
        winner = await db.get_one(PushKey, 1)
        return VapidKey.from_text(winner.private_key)
    return made
