"""Agenda speakers linked to accounts: organisers link a speaker to an account by email, which is what lets the
speaker publish from the studio of their own sessions. The link is private: exports and public pages never show it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server import i18n
from server.accounts.actors import Actor
from server.accounts.emails import normalise_email
from server.accounts.models import Account, EventRole, Role
from server.accounts.services import event_language
from server.agenda.models import Person
from server.agenda.rules import can_link_speakers
from server.audit.services import record
from server.db import begin_write
from server.errors import NotFound
from server.events.models import Event
from server.i18n import gettext as _
from server.links import Links
from server.mail.services import queue_mail
from server.permissions import require


@dataclass(frozen=True)
class SpeakerLink:
    person: Person
    account: Account | None


async def speaker_links(db: AsyncSession, *, actor: Actor, event: Event) -> list[SpeakerLink]:
    """Every agenda speaker of the event, in agenda order, with the account linked to it. Organisers only."""
    require(actor, can_link_speakers)
    rows = await db.exec(
        select(Person, Account)
        .outerjoin(Account, col(Account.id) == col(Person.account_id))
        .where(Person.event_id == event.id)
        .order_by(col(Person.position), col(Person.id))
    )
    return [SpeakerLink(person, account) for person, account in rows.all()]


async def link_speaker(
    db: AsyncSession, *, actor: Actor, event: Event, person_id: int, email: str, invite: Links | None = None
) -> Account:
    """Links the speaker to the account with this email, creating the account (as signing in would) when there is
    none, and gives it the speaker role in the event, so the speaker can sign in and open their studio. With
    ``invite``, mails them that they speak at the event and where to sign in."""
    require(actor, can_link_speakers)
    await begin_write(db)
    person = await _person(db, event=event, person_id=person_id)  # another event's person: "not found" first
    email = normalise_email(email)
    account = (await db.exec(select(Account).where(Account.email == email))).first()
    if account is None:
        account = Account(email=email, name=person.name)
        db.add(account)
        await db.flush()
    role = await db.exec(
        select(EventRole.id).where(
            EventRole.event_id == event.id, EventRole.account_id == account.id, EventRole.role == Role.speaker
        )
    )
    if role.first() is None:
        db.add(EventRole(event_id=event.id or 0, account_id=account.id or 0, role=Role.speaker))
    before = {"account": person.account_id}
    person.account_id = account.id
    db.add(person)
    record(
        db,
        actor=actor,
        event=event,
        action="person.link",
        target_type="person",
        target_id=person.id,
        target_label=person.name,
        before=before,
        after={"account": account.id, "email": email},
    )
    if invite is not None:
        with i18n.speaking(account.language, event_language(event)):  # theirs, else the event's
            await _invite(db, event=event, person=person, email=email, links=invite)
    await db.commit()
    return account


async def _invite(db: AsyncSession, *, event: Event, person: Person, email: str, links: Links) -> None:
    body = _(
        "Dear {name},\n\nYou are a speaker at {event}. The programme:\n\n{programme}\n\n"
        "Sign in with this email address ({email}) to open the studio of your sessions:\n\n{signin}\n"
    )
    await queue_mail(
        db,
        recipient=email,
        subject=_("You are speaking at {event}").format(event=event.title),
        body=body.format(
            name=person.name,
            event=event.title,
            programme=links.event_page(event.slug),
            email=email,
            signin=links.sign_in_page(),
        ),
    )


async def unlink_speaker(db: AsyncSession, *, actor: Actor, event: Event, person_id: int) -> None:
    """The account no longer speaks as this person; its speaker role stays (it may speak as another)."""
    require(actor, can_link_speakers)
    await begin_write(db)
    person = await _person(db, event=event, person_id=person_id)
    record(
        db,
        actor=actor,
        event=event,
        action="person.unlink",
        target_type="person",
        target_id=person.id,
        target_label=person.name,
        before={"account": person.account_id},
        after={"account": None},
    )
    person.account_id = None
    db.add(person)
    await db.commit()


async def _person(db: AsyncSession, *, event: Event, person_id: int) -> Person:
    statement = select(Person).where(Person.id == person_id, Person.event_id == event.id).with_for_update()
    person = (await db.exec(statement)).first()
    if person is None:
        await db.rollback()
        raise NotFound(_("There is no such speaker in this event."))
    return person
