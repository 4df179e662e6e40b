"""Sends the reminders that are due: each claimed by one app process (a conditional UPDATE), its mail queued in
the same transaction as the claim, so it goes out exactly once however many processes run the loop; then its Web
Push notifications, off the database transaction."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
from dataclasses import dataclass, field

import httpx
from sqlmodel import col, delete, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from server import formats
from server.accounts.models import Account
from server.agenda.models import Session
from server.clock import utcnow
from server.db import Database, begin_write
from server.events.models import Event
from server.i18n import gettext as _
from server.i18n import localised, ngettext
from server.links import Links
from server.mail.services import queue_mail
from server.registration.models import Registration, RegistrationStatus, SessionChoice
from server.registration.translations import in_language
from server.reminders.models import REMINDER_MINUTES, PushSubscription, Reminder
from server.reminders.services import site_vapid_key
from server.reminders.webpush import VapidKey, encrypt
from server.time_zones import reader_zone

log = logging.getLogger(__name__)

POLL_SECONDS = 15.0  # how late a reminder may go out
PUSH_TIMEOUT_SECONDS = 10.0
GONE = {404, 410}  # the push service forgot the subscription (RFC 8030 §7.3): delete it


@dataclass(frozen=True)
class PushMessage:
    subscription_id: int
    endpoint: str
    p256dh: str
    auth: str
    payload: bytes
    ttl: int


@dataclass
class Sent:
    """What one tick did, for logs and tests."""

    mails: list[int] = field(default_factory=list)  # the reminders this process mailed
    pushes: int = 0  # notifications a push service accepted
    gone: int = 0  # subscriptions deleted on a 404/410


def _is_due(reminder: Reminder, session: Session, now: dt.datetime) -> bool:
    return session.start - dt.timedelta(minutes=reminder.minutes) <= now < session.start


@dataclass(frozen=True)
class Due:
    """A reminder to send, as plain values: they outlive the transactions of the claims before it."""

    reminder_id: int
    registration_id: int
    event_id: int
    session_id: int
    start: dt.datetime
    minutes: int
    by_mail: bool
    by_push: bool


async def due_reminders(db: AsyncSession, *, now: dt.datetime) -> list[Due]:
    """Reminders of picked, not cancelled sessions starting within the next hour, not yet sent for that start
    (a moved session is due again at its new time), whose minutes before it have come."""
    rows = await db.exec(
        select(Reminder, Session)
        .join(Session, col(Session.id) == col(Reminder.session_id))
        .join(Registration, col(Registration.id) == col(Reminder.registration_id))
        .join(
            SessionChoice,
            (col(SessionChoice.registration_id) == col(Reminder.registration_id))
            & (col(SessionChoice.session_id) == col(Reminder.session_id)),
        )
        .where(
            col(Session.cancelled).is_(False),
            col(Session.start) > now,
            col(Session.start) <= now + dt.timedelta(minutes=max(REMINDER_MINUTES)),
            col(Registration.status) == RegistrationStatus.confirmed,
            col(Reminder.sent_for).is_(None) | (col(Reminder.sent_for) != col(Session.start)),
        )
        .order_by(col(Session.start), col(Reminder.id))
    )
    return [
        Due(
            reminder_id=reminder.id or 0,
            registration_id=reminder.registration_id,
            event_id=reminder.event_id,
            session_id=session.id or 0,
            start=session.start,
            minutes=reminder.minutes,
            by_mail=reminder.by_mail,
            by_push=reminder.by_push,
        )
        for reminder, session in rows.all()
        if _is_due(reminder, session, now)
    ]


def _texts(
    *, session: Session, event: Event, account: Account, registration: Registration, minutes: int, links: Links
) -> tuple[str, str, dict[str, str]]:
    """The mail's subject and body and the notification, in the recipient's language and time zone."""
    zone = reader_zone(account.time_zone, event.timezone)
    with in_language(account.language, registration.language):
        title = localised(session, "title")
        values = {
            "title": title,
            "event": localised(event, "title"),
            "time": formats.time(session.start, zone),
            "zone": zone.key,
            "count": str(minutes),
        }
        subject = ngettext("In %(count)s minute: %(title)s", "In %(count)s minutes: %(title)s", minutes) % values
        starts = (
            ngettext(
                "“%(title)s” at %(event)s starts in %(count)s minute, at %(time)s (%(zone)s).",
                "“%(title)s” at %(event)s starts in %(count)s minutes, at %(time)s (%(zone)s).",
                minutes,
            )
            % values
        )
        page = links.session_page(event.slug, session.code)
        change = _("You asked for this reminder. To change or remove it: %(url)s") % {
            "url": links.reminder_page(event.slug, session.code)
        }
        body = f"{starts}\n\n{page}\n\n{change}\n"
        notification = {
            "title": title,
            "body": _("Starts at %(time)s (%(zone)s).") % values,
            "url": page,
            "tag": f"podium-reminder-{session.id}",
        }
    return subject, body, notification


async def _claim(db: AsyncSession, *, reminder_id: int, start: dt.datetime) -> bool:
    """This process's claim on sending the reminder for ``start``: true for one process only."""
    result = await db.exec(
        update(Reminder)
        .where(
            col(Reminder.id) == reminder_id,
            col(Reminder.sent_for).is_(None) | (col(Reminder.sent_for) != start),
        )
        .values(sent_for=start)
    )
    return bool(result.rowcount == 1)


async def send_due(
    db: AsyncSession, *, links: Links, now: dt.datetime | None = None
) -> tuple[list[int], list[PushMessage]]:
    """Claims and mails every due reminder; returns the reminders claimed and the notifications to push."""
    now = now or utcnow()
    due = await due_reminders(db, now=now)
    await db.commit()  # end the read: each claim is a write transaction of its own
    claimed: list[int] = []
    pushes: list[PushMessage] = []
    for reminder in due:
        await begin_write(db)
        if not await _claim(db, reminder_id=reminder.reminder_id, start=reminder.start):
            await db.rollback()
            continue
        session = await db.get_one(Session, reminder.session_id)
        registration = await db.get_one(Registration, reminder.registration_id)
        account = await db.get_one(Account, registration.account_id)
        event = await db.get_one(Event, reminder.event_id)
        subject, body, notification = _texts(
            session=session,
            event=event,
            account=account,
            registration=registration,
            minutes=reminder.minutes,
            links=links,
        )
        if reminder.by_mail:
            await queue_mail(db, recipient=registration.email, subject=subject, body=body)
        if reminder.by_push:
            payload = json.dumps(notification, ensure_ascii=False).encode()
            ttl = max(60, int((reminder.start - now).total_seconds()))  # worthless once the session has begun
            browsers = await db.exec(select(PushSubscription).where(PushSubscription.account_id == account.id))
            pushes.extend(
                PushMessage(each.id or 0, each.endpoint, each.p256dh, each.auth, payload, ttl)
                for each in browsers.all()
            )
        await db.commit()
        claimed.append(reminder.reminder_id)
    return claimed, pushes


async def push(client: httpx.AsyncClient, message: PushMessage, *, vapid: VapidKey, subject: str) -> int:
    """Posts one encrypted notification to its push service; the service's status code (0: unreachable)."""

    def sealed() -> tuple[bytes, str]:  # ECDH and signing: CPU work kept off the event loop
        body = encrypt(message.payload, p256dh=message.p256dh, auth=message.auth)
        return body, vapid.authorization(message.endpoint, subject=subject)

    body, authorization = await asyncio.to_thread(sealed)
    headers = {
        "TTL": str(message.ttl),
        "Urgency": "high",
        "Content-Encoding": "aes128gcm",
        "Content-Type": "application/octet-stream",
        "Authorization": authorization,
    }
    try:
        answer = await client.post(message.endpoint, content=body, headers=headers, timeout=PUSH_TIMEOUT_SECONDS)
    except httpx.HTTPError as failed:
        log.warning("a push service did not answer: %s", failed)
        return 0
    return answer.status_code


class ReminderScheduler:
    """Every app process runs this loop; each reminder goes out from one of them."""

    def __init__(self, database: Database, *, links: Links, subject: str) -> None:
        self.database = database
        self.links = links
        self.subject = subject  # VAPID's contact for push services: a mailto: or https: address

    async def tick(self, now: dt.datetime | None = None) -> Sent:
        sent = Sent()
        async with self.database.session() as db:
            sent.mails, messages = await send_due(db, links=self.links, now=now)
            if not messages:
                return sent
            vapid = await site_vapid_key(db)
            async with httpx.AsyncClient() as client:
                answers = await asyncio.gather(
                    *(push(client, message, vapid=vapid, subject=self.subject) for message in messages)
                )
            gone = [
                message.subscription_id for message, status in zip(messages, answers, strict=True) if status in GONE
            ]
            sent.pushes = sum(1 for status in answers if 200 <= status < 300)
            if gone:
                await begin_write(db)
                await db.exec(delete(PushSubscription).where(col(PushSubscription.id).in_(gone)))
                await db.commit()
                sent.gone = len(gone)
        return sent

    async def run(self) -> None:
        while True:
            try:
                sent = await self.tick()
                if sent.mails:
                    log.info("reminders sent: %s", len(sent.mails))
            except Exception:  # keep reminding after a passing database or network fault
                log.exception("the reminder scheduler failed")
            await asyncio.sleep(POLL_SECONDS)
