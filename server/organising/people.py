"""The people of an event's programme (speakers, chairs): name, affiliation, country, biography, photo, and the
account they sign in with (linked by email through ``server.agenda.speaker_accounts``, with an invitation mail)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.accounts.actors import Actor
from server.accounts.emails import normalise_email
from server.accounts.models import Account
from server.agenda.models import Person
from server.agenda.photos import discard_photo, store_photo
from server.agenda.rules import can_edit_programme_parts
from server.agenda.speaker_accounts import link_speaker, unlink_speaker
from server.audit.services import record, snapshot
from server.db import begin_write
from server.errors import Conflict, FieldErrors, InvalidInput, NotFound, StaleVersion
from server.events.models import Event
from server.i18n import gettext as _
from server.links import Links
from server.organising.fields import LONG_TEXT, Fields
from server.organising.published import programme_changed
from server.permissions import require
from server.registration.countries import is_country

MAX_PEOPLE = 5_000
AUDITED = ("name", "slug", "organisation", "country", "biography", "photo", "position")


def _person_values(fields: Fields) -> dict[str, Any]:
    values = {
        "name": fields.text("name", max_length=200),
        "slug": fields.slug("slug", made_from="name"),
        "organisation": fields.text("organisation", max_length=200, required=False),
        "country": fields.text("country", max_length=2, required=False).upper(),
        "biography": fields.text("biography", max_length=LONG_TEXT, required=False),
    }
    if values["country"] and "country" not in fields.errors and not is_country(values["country"]):
        fields.refuse("country", _("Please choose a country from the list."))
    return values


def _email(fields: Fields) -> str:
    """The account to link, checked before anything is stored; "" for none."""
    raw = fields.text("email", max_length=254, required=False)
    if not raw or "email" in fields.errors:
        return ""
    try:
        return normalise_email(raw)
    except InvalidInput as refusal:
        fields.refuse("email", refusal.message)
        return ""


async def person_of(db: AsyncSession, *, actor: Actor, event: Event, person_id: int) -> Person:
    require(actor, can_edit_programme_parts, event)
    return await _person(db, event=event, person_id=person_id, lock=False)


async def _person(db: AsyncSession, *, event: Event, person_id: int, lock: bool = True) -> Person:
    query = select(Person).where(Person.id == person_id, Person.event_id == event.id)
    person = (await db.exec(query.with_for_update() if lock else query)).first()
    if person is None:
        if lock:
            await db.rollback()
        raise NotFound(_("There is no such person in this event."))
    return person


async def save_person(
    db: AsyncSession,
    *,
    actor: Actor,
    event: Event,
    person_id: int | None,
    form: dict[str, Any],
    photo: bytes | None,
    media_dir: Path,
    links: Links,
) -> Person:
    """Creates or updates a person from the form, with a new photo when one is sent, and links the account of
    the form's email (inviting it by mail) when one is given. Nothing is stored when any part is refused."""
    require(actor, can_edit_programme_parts, event)
    fields = Fields(form)
    values = _person_values(fields)
    email = _email(fields)
    stored = ""
    if photo:
        try:
            stored = store_photo(photo, media_dir=media_dir)
        except InvalidInput as refusal:
            fields.refuse("photo", refusal.message)
    if fields.errors:
        discard_photo(stored, media_dir=media_dir)
        fields.done()
    try:
        person, replaced = await _write(
            db,
            actor=actor,
            event=event,
            person_id=person_id,
            version=fields.version(),
            values=values,
            photo=stored,
            remove_photo=fields.flag("remove_photo"),
        )
    except BaseException:
        discard_photo(stored, media_dir=media_dir)
        raise
    discard_photo(replaced, media_dir=media_dir)
    if email and (person.account_id is None or email != await _linked_email(db, person)):
        await link_speaker(db, actor=actor, event=event, person_id=person.id or 0, email=email, invite=links)
    elif not email and person.account_id is not None:  # the address was cleared: they no longer speak as this person
        await unlink_speaker(db, actor=actor, event=event, person_id=person.id or 0)
    return person


async def _linked_email(db: AsyncSession, person: Person) -> str:
    email = (await db.exec(select(Account.email).where(Account.id == person.account_id))).first()
    return email or ""


async def _write(
    db: AsyncSession,
    *,
    actor: Actor,
    event: Event,
    person_id: int | None,
    version: int,
    values: dict[str, Any],
    photo: str,
    remove_photo: bool,
) -> tuple[Person, str]:
    """Writes the person's row and its audit entry; returns it and the stored name of the photo it replaced."""
    fields = Fields({})
    await begin_write(db)
    try:
        taken = select(Person.id).where(Person.event_id == event.id, Person.slug == values["slug"])
        if person_id is not None:
            taken = taken.where(col(Person.id) != person_id)
        if (await db.exec(taken)).first() is not None:
            fields.refuse("slug", _("Another person of this event has this slug."))
            fields.done()
        replaced = ""
        if person_id is None:
            count = (await db.exec(select(func.count()).select_from(Person).where(Person.event_id == event.id))).one()
            if count >= MAX_PEOPLE:
                raise Conflict(_("An event has at most %(count)d people.") % {"count": MAX_PEOPLE})
            last = (await db.exec(select(func.max(Person.position)).where(Person.event_id == event.id))).one()
            position = (last if last is not None else -1) + 1
            person = Person(event_id=event.id or 0, position=position, photo=photo, **values)
            before = None
        else:
            person = await _person(db, event=event, person_id=person_id)
            if person.version != version:
                raise StaleVersion(_("Someone else saved this person while you were editing them."))
            before = snapshot(person, AUDITED)
            for key, value in values.items():
                setattr(person, key, value)
            if photo or remove_photo:
                replaced, person.photo = person.photo, photo
            person.version += 1
        db.add(person)
        await db.flush()
        record(
            db,
            actor=actor,
            event=event,
            action="person.create" if before is None else "person.update",
            target_type="person",
            target_id=person.id,
            target_label=person.name,
            before=before,
            after=snapshot(person, AUDITED),
        )
        await programme_changed(db, event=event)
        await db.commit()
    except IntegrityError:  # another organiser took the slug at the same moment
        await db.rollback()
        raise FieldErrors({"slug": _("Another person of this event has this slug.")}) from None
    except BaseException:
        await db.rollback()
        raise
    return person, replaced


async def delete_person(db: AsyncSession, *, actor: Actor, event: Event, person_id: int, media_dir: Path) -> None:
    """Deletes a person; the sessions they spoke in keep their other speakers."""
    require(actor, can_edit_programme_parts, event)
    await begin_write(db)
    try:
        person = await _person(db, event=event, person_id=person_id)
        photo = person.photo
        record(
            db,
            actor=actor,
            event=event,
            action="person.delete",
            target_type="person",
            target_id=person.id,
            target_label=person.name,
            before=snapshot(person, AUDITED),
        )
        await db.delete(person)
        await programme_changed(db, event=event)
        await db.commit()
    except BaseException:
        await db.rollback()
        raise
    discard_photo(photo, media_dir=media_dir)
