"""Messages to participants: an organiser writes a mail (with a version per language if they like) to a
segment of the event's people, sees it as its recipients will, and sends it through the outbox.

Sending freezes the recipients (one row per address) and the text of each language in one transaction, then
queues their mails (server/mail/bulk.py), which a crash may interrupt and anyone may resume without a second
mail to anyone. The compose form carries a key: its second submission finds the message the first made."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from babel.dates import format_date
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from server import i18n
from server.accounts.actors import Actor
from server.audit.services import record
from server.db import Database, begin_write
from server.errors import NotFound
from server.events.models import Event
from server.i18n import gettext as _
from server.links import Links
from server.mail.bulk import queue_message
from server.mail.models import Message, MessageRecipient, MessageVersion, OutboxMail
from server.organising.rules import can_message_participants
from server.organising.segments import Audience, InvalidDraft, Recipient, audience, recipients
from server.permissions import require
from server.text import storable

MAX_SUBJECT = 200
MAX_BODY = 20_000  # characters: a long programme note fits; a flood does not
FORM_KEY = re.compile(r"[A-Za-z0-9_-]{16,64}")


@dataclass(frozen=True, slots=True)
class Text:
    subject: str
    body: str


@dataclass(frozen=True, slots=True)
class Draft:
    """A checked compose form: the default text and the versions for some of the event's languages."""

    segment: str
    session_id: int | None
    text: Text
    versions: dict[str, Text] = field(default_factory=dict)  # site language code → its text
    form_key: str = ""


def version_languages(event: Event) -> list[i18n.Language]:
    """The site languages a message may have its own version in: those of the event's languages Podium speaks."""
    found = [i18n.find_language(code) for code in event.language_list]
    return list(dict.fromkeys(language for language in found if language is not None))


def _check_text(errors: dict[str, str], suffix: str, subject: str, body: str, *, required: bool) -> Text | None:
    subject, body = subject.strip(), body.strip()
    if not required and not subject and not body:
        return None
    if not subject:
        errors["subject" + suffix] = _("Please write a subject.")
    elif len(subject) > MAX_SUBJECT:
        errors["subject" + suffix] = _("The subject is too long (%(limit)s characters at most).") % {
            "limit": MAX_SUBJECT
        }
    elif "\r" in subject or "\n" in subject or not storable(subject):
        errors["subject" + suffix] = _("The subject must be one line of text.")
    if not body:
        errors["body" + suffix] = _("Please write the message.")
    elif len(body) > MAX_BODY:
        errors["body" + suffix] = _("The message is too long (%(limit)s characters at most).") % {"limit": MAX_BODY}
    elif not storable(body):
        errors["body" + suffix] = _("The message contains characters Podium cannot accept, such as a NUL byte.")
    return Text(subject, body.replace("\r\n", "\n"))


def check_draft(event: Event, values: dict[str, str]) -> Draft:
    """The compose form's values, checked; InvalidDraft names each field in error."""
    errors: dict[str, str] = {}
    session = values.get("session", "").strip()
    session_id = int(session) if session.isdigit() and len(session) < 12 else None
    if session and session_id is None:
        errors["session"] = _("Please choose the session.")
    text = _check_text(errors, "", values.get("subject", ""), values.get("body", ""), required=True)
    versions = {}
    for language in version_languages(event):
        suffix = "_" + language.code
        version = _check_text(
            errors, suffix, values.get("subject" + suffix, ""), values.get("body" + suffix, ""), required=False
        )
        if version is not None:
            versions[language.code] = version
    form_key = values.get("form_key", "")
    if not FORM_KEY.fullmatch(form_key):
        errors["form"] = _("This form has expired. Please go back, reload the page and try again.")
    if errors or text is None:
        raise InvalidDraft(errors)
    return Draft(values.get("segment", ""), session_id, text, versions, form_key)


def _footer(event: Event, links: Links, chosen: Audience) -> str:
    """The event's footer, in the active language."""
    dates = format_date(event.start_date, "long", locale=i18n.current_locale())
    if event.end_date != event.start_date:
        dates += " – " + format_date(event.end_date, "long", locale=i18n.current_locale())
    place = ", ".join(part for part in (event.venue, event.city) if part)
    lines = [event.title, " · ".join(part for part in (dates, place) if part), links.event_page(event.slug)]
    return "-- \n" + "\n".join(lines) + "\n\n" + chosen.why(event) + "\n"


def render(event: Event, links: Links, chosen: Audience, draft: Draft, language: str) -> Text:
    """The mail as a recipient whose registration is in ``language`` gets it ("": the default)."""
    text = draft.versions.get(language, draft.text)
    site_language = i18n.find_language(language) or i18n.DEFAULT_LANGUAGE
    token = i18n.activate(site_language)
    try:
        return Text(text.subject, text.body + "\n\n" + _footer(event, links, chosen))
    finally:
        i18n.deactivate(token)


@dataclass(frozen=True, slots=True)
class Preview:
    audience: Audience
    count: int
    versions: list[tuple[str, Text]]  # (language's name, the mail), the default first


async def preview(db: AsyncSession, *, actor: Actor, event: Event, links: Links, draft: Draft) -> Preview:
    require(actor, can_message_participants, event)
    chosen = await audience(db, event=event, segment=draft.segment, session_id=draft.session_id)
    people = await recipients(db, event=event, audience=chosen)
    shown = [(_("Default"), render(event, links, chosen, draft, ""))]
    for language in version_languages(event):
        if language.code in draft.versions:
            shown.append((language.name, render(event, links, chosen, draft, language.code)))
    return Preview(audience=chosen, count=len(people), versions=shown)


async def message_for_key(db: AsyncSession, *, actor: Actor, event: Event, form_key: str) -> Message | None:
    """The message a submission of this compose form already made, if any."""
    require(actor, can_message_participants, event)
    return (await db.exec(select(Message).where(Message.event_id == event.id, Message.form_key == form_key))).first()


async def _freeze(
    db: AsyncSession,
    *,
    actor: Actor,
    event: Event,
    links: Links,
    draft: Draft,
    chosen: Audience,
    people: list[Recipient],
) -> Message:
    """The message, its texts and its recipients, in one transaction with its audit entry."""
    message = Message(
        event_id=event.id or 0,
        author_id=actor.account_id,
        author_email=actor.account.email if actor.account is not None else "",
        form_key=draft.form_key,
        segment=chosen.segment,
        session_id=chosen.session.id if chosen.session is not None else None,
        segment_label=chosen.label[:400],
        subject=draft.text.subject,
        recipient_count=len(people),
    )
    db.add(message)
    await db.flush()
    for language in sorted({person.language for person in people}):  # one text per language among them
        text = render(event, links, chosen, draft, language)
        db.add(MessageVersion(message_id=message.id or 0, language=language, subject=text.subject, body=text.body))
    connection = await db.connection()
    await connection.execute(
        insert(MessageRecipient),
        [
            {"message_id": message.id, "address": person.address, "name": person.name, "language": person.language}
            for person in people
        ],
    )
    record(
        db,
        actor=actor,
        event=event,
        action="message.send",
        target_type="message",
        target_id=message.id,
        target_label=message.subject,
        after={"subject": message.subject, "segment": message.segment_label, "count": len(people)},
    )
    await db.commit()
    return message


async def send_message(database: Database, *, actor: Actor, event: Event, links: Links, draft: Draft) -> Message:
    """Sends the draft to its segment as it is now; a second submission of the same form sends nothing more
    (it finishes queuing what a crash left unqueued). A segment of nobody is refused."""
    async with database.session() as db:
        message = await message_for_key(db, actor=actor, event=event, form_key=draft.form_key)
        if message is None:
            chosen = await audience(db, event=event, segment=draft.segment, session_id=draft.session_id)
            people = await recipients(db, event=event, audience=chosen)
            if not people:
                raise InvalidDraft({"segment": _("Nobody is in this segment yet: the message was not sent.")})
            await db.commit()
            try:
                message = await _freeze(
                    db, actor=actor, event=event, links=links, draft=draft, chosen=chosen, people=people
                )
            except IntegrityError:  # the same form, submitted twice at once: the other submission's message
                await db.rollback()
                message = await message_for_key(db, actor=actor, event=event, form_key=draft.form_key)
                if message is None:
                    raise
    await queue_message(database, message.id or 0)
    return message


async def message_of(db: AsyncSession, *, actor: Actor, event: Event, message_id: int) -> Message:
    require(actor, can_message_participants, event)
    message = await db.get(Message, message_id)
    if message is None or message.event_id != event.id:
        raise NotFound(_("There is no such message in this event."))
    return message


async def retry_failed(db: AsyncSession, *, actor: Actor, event: Event, message_id: int) -> int:
    """Gives the message's failed mails back to the outbox (the server refused them or could not be reached,
    so none arrived); the count. Each goes once more, to the same address, with the same text."""
    message = await message_of(db, actor=actor, event=event, message_id=message_id)
    await db.commit()
    await begin_write(db)
    failed = select(MessageRecipient.outbox_mail_id).where(MessageRecipient.message_id == message.id)
    retried = await db.exec(
        update(OutboxMail)
        .where(
            col(OutboxMail.id).in_(failed.scalar_subquery()),
            col(OutboxMail.error) != "",
            col(OutboxMail.sent_at).is_(None),
        )
        .values(error="", claimed_at=None, claim="")
    )
    count = retried.rowcount
    if count:
        record(
            db,
            actor=actor,
            event=event,
            action="message.retry",
            target_type="message",
            target_id=message.id,
            target_label=message.subject,
            after={"subject": message.subject, "count": count},
        )
    await db.commit()
    return count
