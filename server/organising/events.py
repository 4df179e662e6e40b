"""Setting up an event in the browser: creating it (a draft, its creator its organiser), editing its own fields
with optimistic concurrency, publishing it or taking it back to a draft, and cloning it for the next edition.
Every change is recorded in the audit log in the transaction that makes it."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.accounts.actors import Actor
from server.accounts.models import Account, EventRole, Role
from server.accounts.revocations import Reason, record_revocation
from server.agenda.interchange import session_guid
from server.agenda.kinds import default_kinds
from server.agenda.models import EventSessionKind, Person, Room, Session, SessionSpeaker, Track
from server.audit.services import record, snapshot
from server.db import begin_write
from server.errors import Conflict, NotFound
from server.events.models import Event, EventBanner, EventLogo
from server.i18n import gettext as _
from server.live.event_settings import new_event_settings
from server.live.models import LiveRoom, LiveSettings
from server.organising.event_input import EventFields, FieldErrors, Logo
from server.organising.rules import can_clone_event, can_create_events, can_edit_event, can_publish_event
from server.permissions import require
from server.registration.models import Registration
from server.settings import EventCreators

# What the audit log keeps of an event's own fields (the logo by whether there is one).
AUDITED = (
    "title", "acronym", "slug", "start_date", "end_date", "timezone", "venue", "address", "attendance", "languages",
    "description", "primary_color", "secondary_color", "contact_email", "has_logo", "has_banner", "published",
    "translations",
)  # fmt: skip


class StaleEdit(Conflict):
    """The event was saved by someone else since the form was opened; ``current`` is what they saved."""

    def __init__(self, current: Event) -> None:
        super().__init__(
            _(
                "Someone else saved this event while you were editing it. Their values are shown below; "
                "make your changes again and save."
            )
        )
        self.current = current


def _slug_taken(slug: str) -> FieldErrors:
    return FieldErrors(
        {"slug": _("An event called '%(slug)s' exists already; please choose another.") % {"slug": slug}}
    )


async def _slug_exists(db: AsyncSession, slug: str) -> bool:
    return (await db.exec(select(col(Event.id)).where(col(Event.slug) == slug))).first() is not None


async def _insert_event(db: AsyncSession, *, actor: Actor, slug: str, values: dict[str, Any]) -> Event:
    """A new draft with the actor as its organiser, flushed; FieldErrors when the slug is someone else's."""
    if await _slug_exists(db, slug):
        await db.rollback()
        raise _slug_taken(slug)
    event = Event(**values, slug=slug, published=False, version=1, edit_version=1)
    db.add(event)
    try:
        await db.flush()
    except IntegrityError:  # another event took the slug between the check and the write
        await db.rollback()
        raise _slug_taken(slug) from None
    assert event.id is not None and actor.account is not None and actor.account.id is not None
    db.add(EventRole(event_id=event.id, account_id=actor.account.id, role=Role.organiser))
    return event


async def create_event(
    db: AsyncSession,
    *,
    actor: Actor,
    creators: EventCreators,
    slug: str,
    fields: EventFields,
    logo: Logo | None,
    banner: Logo | None = None,
) -> Event:
    """A draft event only its staff see, with the creator as its organiser."""
    require(actor, can_create_events, creators)
    await begin_write(db)
    # Nothing is released yet: the organiser's first release is release 1.
    values = {**fields.values(), "has_logo": logo is not None, "has_banner": banner is not None, "programme_release": 0}
    event = await _insert_event(db, actor=actor, slug=slug, values=values)
    db.add_all(default_kinds(event.id or 0))
    db.add(new_event_settings(event.id or 0))
    if logo is not None:
        db.add(EventLogo(event_id=event.id or 0, content_type=logo.content_type, data=logo.data))
    if banner is not None:
        db.add(EventBanner(event_id=event.id or 0, content_type=banner.content_type, data=banner.data))
    record(
        db,
        actor=actor,
        event=event,
        action="event.create",
        target_type="event",
        target_id=event.id,
        target_label=event.title,
        after=snapshot(event, AUDITED),
    )
    await db.commit()
    return event


async def _locked(db: AsyncSession, event: Event) -> Event:
    await begin_write(db)
    current = (await db.exec(select(Event).where(col(Event.id) == event.id).with_for_update())).first()
    if current is None:
        raise NotFound(_("There is no page at this address."))
    return current


async def update_event(
    db: AsyncSession,
    *,
    actor: Actor,
    event: Event,
    edit_version: int,
    fields: EventFields,
    logo: Logo | None = None,
    remove_logo: bool = False,
    banner: Logo | None = None,
    remove_banner: bool = False,
) -> Event:
    """Saves the event's fields if nobody saved since ``edit_version`` was read; StaleEdit otherwise."""
    require(actor, can_edit_event, event)
    current = await _locked(db, event)
    if current.edit_version != edit_version:
        await db.commit()  # nothing written; unlike a rollback, a commit leaves their values readable
        raise StaleEdit(current)
    before = snapshot(current, AUDITED)
    for name, value in fields.values().items():
        setattr(current, name, value)
    current.has_logo = await _replace_image(db, EventLogo, current, logo, remove=remove_logo, had=current.has_logo)
    current.has_banner = await _replace_image(
        db, EventBanner, current, banner, remove=remove_banner, had=current.has_banner
    )
    current.edit_version += 1
    current.version += 1  # the public pages show these fields: cached pages of the old ones are left behind
    db.add(current)
    record(
        db,
        actor=actor,
        event=current,
        action="event.update",
        target_type="event",
        target_id=current.id,
        target_label=current.title,
        before=before,
        after=snapshot(current, AUDITED),
    )
    await db.commit()
    return current


async def _replace_image(
    db: AsyncSession, table: Any, event: Event, image: Logo | None, *, remove: bool, had: bool
) -> bool:
    """Stores the new logo or banner, or removes the old one when asked; whether the event has one afterwards."""
    stored = await db.get(table, event.id)
    if image is not None:
        stored = stored or table(event_id=event.id or 0, content_type=image.content_type, data=b"")
        stored.content_type, stored.data = image.content_type, image.data
        db.add(stored)
        return True
    if remove and stored is not None:
        await db.delete(stored)
        return False
    return had


async def set_published(db: AsyncSession, *, actor: Actor, event: Event, published: bool) -> Event:
    """Publishes a draft (everyone sees it) or takes a published event back to a draft (its staff only)."""
    require(actor, can_publish_event, event)
    current = await _locked(db, event)
    if current.published == published:
        await db.commit()  # nothing to change (a second click)
        return current
    current.published = published
    current.version += 1  # cached pages were rendered for everyone (or for its staff): none of them is served again
    db.add(current)
    if not published:
        # The registered people's open live connections are checked again at once: all but the staff leave.
        registered = await db.exec(select(Registration.account_id).where(Registration.event_id == current.id))
        for account_id in set(registered.all()):
            await record_revocation(db, account_id=account_id, event_id=current.id, reason=Reason.unpublished)
    record(
        db,
        actor=actor,
        event=current,
        action="event.publish" if published else "event.unpublish",
        target_type="event",
        target_id=current.id,
        target_label=current.title,
        before={"published": not published},
        after={"published": published},
    )
    await db.commit()
    return current


async def event_logo(db: AsyncSession, *, event: Event) -> EventLogo:
    logo = await db.get(EventLogo, event.id) if event.has_logo else None
    if logo is None:
        raise NotFound(_("There is no page at this address."))
    return logo


async def event_banner(db: AsyncSession, *, event: Event) -> EventBanner:
    banner = await db.get(EventBanner, event.id) if event.has_banner else None
    if banner is None:
        raise NotFound(_("There is no page at this address."))
    return banner


def _copy(row: Any, **changes: Any) -> dict[str, Any]:
    """A row's columns for a new row: without its id, with ``changes``."""
    return {**row.model_dump(exclude={"id"}), **changes}


async def clone_event(
    db: AsyncSession,
    *,
    actor: Actor,
    creators: EventCreators,
    source: Event,
    slug: str,
    title: str,
    start_date: dt.date,
    end_date: dt.date,
) -> Event:
    """Next year's edition, as a draft: the event's fields, rooms, tracks, kinds, people (without their accounts
    and photos),
    sessions moved by the shift of the start date, and the live settings. No registrations, picks, questions,
    or roles but the cloner's, as organiser."""
    require(actor, can_clone_event, source)
    require(actor, can_create_events, creators)
    await begin_write(db)
    shift = dt.timedelta(days=(start_date - source.start_date).days)
    values = _copy(source, title=title, start_date=start_date, end_date=end_date)
    for name in ("slug", "published", "version", "edit_version"):
        values.pop(name)
    event = await _insert_event(db, actor=actor, slug=slug, values=values)
    assert event.id is not None
    rooms = await _copy_rows(db, Room, source, event)
    tracks = await _copy_rows(db, Track, source, event)
    # A photo's files belong to the source's speaker (deleting one deletes them): the copy starts without.
    people = await _copy_rows(db, Person, source, event, account_id=None, photo="")
    await _copy_rows(db, EventSessionKind, source, event)
    sessions: dict[int, Session] = {}
    for session in (await db.exec(select(Session).where(Session.event_id == source.id))).all():
        copied = Session(
            **_copy(
                session,
                event_id=event.id,
                guid=session_guid(slug, session.code) if session.code else uuid.uuid4(),
                start=session.start + shift,
                end=session.end + shift,
                room_id=rooms[session.room_id].id,
                track_id=tracks[session.track_id].id if session.track_id is not None else None,
            )
        )
        db.add(copied)
        sessions[session.id or 0] = copied
    await db.flush()
    speakers = await db.exec(select(SessionSpeaker).where(col(SessionSpeaker.session_id).in_(list(sessions))))
    db.add_all(
        SessionSpeaker(
            session_id=sessions[speaker.session_id].id or 0,
            person_id=people[speaker.person_id].id or 0,
            position=speaker.position,
        )
        for speaker in speakers.all()
    )
    live = await db.get(LiveSettings, source.id)
    if live is not None:
        db.add(LiveSettings(**_copy(live, event_id=event.id)))
    for room in (await db.exec(select(LiveRoom).where(LiveRoom.event_id == source.id))).all():
        if room.session_id in sessions:
            db.add(
                LiveRoom(
                    session_id=sessions[room.session_id].id or 0,
                    event_id=event.id,
                    moderated=room.moderated,
                    qa_open=room.qa_open,
                    chat_open=room.chat_open,
                )
            )
    logo = await db.get(EventLogo, source.id) if source.has_logo else None
    if logo is not None:
        db.add(EventLogo(event_id=event.id, content_type=logo.content_type, data=logo.data))
    banner = await db.get(EventBanner, source.id) if source.has_banner else None
    if banner is not None:
        db.add(EventBanner(event_id=event.id, content_type=banner.content_type, data=banner.data))
    record(
        db,
        actor=actor,
        event=event,
        action="event.clone",
        target_type="event",
        target_id=event.id,
        target_label=event.title,
        before={"slug": source.slug},
        after={**snapshot(event, AUDITED), "sessions": len(sessions)},
    )
    await db.commit()
    return event


async def _copy_rows(db: AsyncSession, table: Any, source: Event, event: Event, **changes: Any) -> dict[int, Any]:
    """Every row of ``table`` in ``source``, copied into ``event`` and flushed, by the old row's id."""
    rows = (await db.exec(select(table).where(table.event_id == source.id))).all()
    copies = {row.id: table(**_copy(row, event_id=event.id, **changes)) for row in rows}
    db.add_all(copies.values())
    await db.flush()
    return copies


async def staff_events(db: AsyncSession, *, account: Account) -> list[tuple[Event, list[str]]]:
    """The events the account helps run (any role but a delegate's), drafts included, with its roles in each:
    where its account page leads it to their back office."""
    rows = await db.exec(
        select(Event, EventRole.role)
        .join(EventRole, col(EventRole.event_id) == col(Event.id))
        .where(EventRole.account_id == account.id, EventRole.role != Role.delegate)
        .order_by(col(Event.start_date).desc(), col(Event.id), col(EventRole.role))
    )
    events: dict[int, tuple[Event, list[str]]] = {}
    for event, role in rows.all():
        events.setdefault(event.id or 0, (event, []))[1].append(role)
    return list(events.values())
