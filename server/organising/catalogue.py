"""The programme's building blocks an organiser edits: rooms, tracks and the event's kinds of session.

Each is saved whole from its form (checked field by field), carries a version (a save from a form opened before
someone else's save is refused), is moved up or down the event's order, and is deleted only as described on
``delete``. Every change is written to the audit log in its own transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import SQLModel, col, func, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from server.accounts.actors import Actor
from server.agenda.models import EventSessionKind, Room, Session, SessionKind, Track
from server.agenda.rules import can_edit_programme_parts
from server.agenda.texts import KIND_FIELDS, ROOM_FIELDS, TRACK_FIELDS, form_translations, translation_form_values
from server.audit.services import record, snapshot
from server.db import begin_write
from server.errors import Conflict, FieldErrors, NotFound, StaleVersion
from server.events.models import Event
from server.i18n import gettext as _
from server.i18n import ngettext
from server.organising.fields import LONG_TEXT, MAX_SEATS, Fields
from server.organising.published import programme_changed
from server.permissions import require
from server.registration.models import Attendance, ChoiceStatus, SessionChoice

MAX_PER_EVENT = 500  # rooms, tracks or kinds in one event: more is a mistake, or a flood


def _room(fields: Fields) -> dict[str, Any]:
    return {
        "name": fields.text("name", max_length=200),
        "slug": fields.slug("slug", made_from="name"),
        "description": fields.text("description", max_length=LONG_TEXT, required=False),
        "capacity": fields.whole_number("capacity", maximum=MAX_SEATS),
        "streamed": fields.flag("streamed"),
    }


def _track(fields: Fields) -> dict[str, Any]:
    return {
        "name": fields.text("name", max_length=200),
        "slug": fields.slug("slug", made_from="name"),
        "color": fields.colour("color"),
    }


def _kind(fields: Fields) -> dict[str, Any]:
    values = {
        "name": fields.text("name", max_length=200),
        "slug": fields.slug("slug", max_length=20, made_from="name"),
        "color": fields.colour("color", required=False),
        "behaviour": fields.text("behaviour", max_length=20),
    }
    if "behaviour" not in fields.errors and values["behaviour"] not in {kind.value for kind in SessionKind}:
        fields.refuse("behaviour", _("Please choose one of the listed behaviours."))
    return values


@dataclass(frozen=True, slots=True)
class Part:
    """One kind of building block: its table, how its form reads, what the audit log calls it."""

    name: str  # the audit log's target type and the actions' prefix: "room" gives room.create, room.update, ...
    model: type[Any]
    read: Callable[[Fields], dict[str, Any]]
    fields: tuple[str, ...]  # what the audit log records of it

    def label(self) -> str:
        return {"room": _("room"), "track": _("track"), "kind": _("kind of session")}[self.name]


ROOMS = Part("room", Room, _room, ("name", "slug", "description", "capacity", "streamed", "position", "translations"))
TRACKS = Part("track", Track, _track, ("name", "slug", "color", "position", "translations"))
KINDS = Part("kind", EventSessionKind, _kind, ("name", "slug", "color", "behaviour", "position", "translations"))
# The texts each has in the event's other languages (server/agenda/texts.py), as form fields "name__ja".
TRANSLATED = {"room": ROOM_FIELDS, "track": TRACK_FIELDS, "kind": KIND_FIELDS}
PARTS = {part.name: part for part in (ROOMS, TRACKS, KINDS)}


async def parts_of(db: AsyncSession, *, actor: Actor, event: Event, part: Part) -> list[Any]:
    """The event's rooms, tracks or kinds, in order."""
    require(actor, can_edit_programme_parts, event)
    model = part.model
    query = select(model).where(model.event_id == event.id).order_by(col(model.position), col(model.id))
    return list((await db.exec(query)).all())


async def part_of(db: AsyncSession, *, actor: Actor, event: Event, part: Part, part_id: int) -> Any:
    """One of the event's rooms, tracks or kinds; another event's is not found."""
    require(actor, can_edit_programme_parts, event)
    return await _row(db, event=event, part=part, part_id=part_id, lock=False)


async def _row(db: AsyncSession, *, event: Event, part: Part, part_id: int, lock: bool = True) -> Any:
    model = part.model
    query = select(model).where(model.id == part_id, model.event_id == event.id)
    row = (await db.exec(query.with_for_update() if lock else query)).first()
    if row is None:
        if lock:
            await db.rollback()
        raise NotFound(_("There is no such %(thing)s in this event.") % {"thing": part.label()})
    return row


async def save_part(
    db: AsyncSession,
    *,
    actor: Actor,
    event: Event,
    part: Part,
    part_id: int | None,
    form: dict[str, Any],
) -> Any:
    """Creates (``part_id`` None) or updates a room, track or kind from its form's values; FieldErrors name each
    field refused, StaleVersion says someone saved it since the form was opened."""
    require(actor, can_edit_programme_parts, event)
    fields = Fields(form)
    values = part.read(fields)
    values["translations"], refused = form_translations(form, event, TRANSLATED[part.name])
    fields.errors.update(refused)
    fields.done()
    model = part.model
    await begin_write(db)
    try:
        taken = select(model.id).where(model.event_id == event.id, model.slug == values["slug"])
        if part_id is not None:
            taken = taken.where(col(model.id) != part_id)
        if (await db.exec(taken)).first() is not None:
            fields.refuse("slug", _("Another %(thing)s of this event has this slug.") % {"thing": part.label()})
            fields.done()
        if part_id is None:
            count = (await db.exec(select(func.count()).select_from(model).where(model.event_id == event.id))).one()
            if count >= MAX_PER_EVENT:
                raise Conflict(_("An event has at most %(count)d of these.") % {"count": MAX_PER_EVENT})
            last = (await db.exec(select(func.max(model.position)).where(model.event_id == event.id))).one()
            row = model(event_id=event.id, position=(last if last is not None else -1) + 1, **values)
            before = None
        else:
            row = await _row(db, event=event, part=part, part_id=part_id)
            if row.version != fields.version():
                raise StaleVersion(
                    _("Someone else saved this %(thing)s while you were editing it.") % {"thing": part.label()}
                )
            if part is ROOMS and values["capacity"] < row.capacity:
                await _keep_taken_seats(db, room=row, capacity=values["capacity"], fields=fields)
            before = snapshot(row, part.fields)
            old_slug = row.slug
            for key, value in values.items():
                setattr(row, key, value)
            row.version += 1
            if part is KINDS and old_slug != row.slug:  # sessions name their kind by slug
                await db.exec(
                    update(Session)
                    .where(col(Session.event_id) == event.id, col(Session.kind) == old_slug)
                    .values(kind=row.slug)
                )
        db.add(row)
        await db.flush()
        action = f"{part.name}.{'create' if before is None else 'update'}"
        record(
            db,
            actor=actor,
            event=event,
            action=action,
            target_type=part.name,
            target_id=row.id,
            target_label=row.name,
            before=before,
            after=snapshot(row, part.fields),
        )
        await programme_changed(db, event=event)
        await db.commit()
    except IntegrityError:  # another organiser took the slug at the same moment
        await db.rollback()
        raise FieldErrors(
            {"slug": _("Another %(thing)s of this event has this slug.") % {"thing": part.label()}}
        ) from None
    except BaseException:
        await db.rollback()
        raise
    return row


async def _keep_taken_seats(db: AsyncSession, *, room: Room, capacity: int, fields: Fields) -> None:
    """Refuses a room's capacity below the seats already taken on site in one of its sessions, naming it."""
    taken = (
        await db.exec(
            select(Session.title, func.count())
            .join(SessionChoice, col(SessionChoice.session_id) == col(Session.id))
            .where(
                col(Session.room_id) == room.id,
                col(SessionChoice.attendance) == Attendance.onsite,
                col(SessionChoice.status) == ChoiceStatus.confirmed,
            )
            .group_by(col(Session.id), col(Session.title))
            .order_by(func.count().desc())
            .limit(1)
        )
    ).first()
    if taken is not None and taken[1] > capacity:
        message = ngettext(
            "%(count)d seat is already taken in “%(title)s”: the room needs at least %(count)d.",
            "%(count)d seats are already taken in “%(title)s”: the room needs at least %(count)d.",
            taken[1],
        )
        fields.refuse("capacity", message % {"count": taken[1], "title": taken[0]})
        fields.done()


async def _users(db: AsyncSession, *, event: Event, part: Part, row: Any) -> int:
    """How many of the event's sessions use ``row``."""
    if part is ROOMS:
        where = col(Session.room_id) == row.id
    elif part is TRACKS:
        where = col(Session.track_id) == row.id
    else:
        where = col(Session.kind) == row.slug
    query = select(func.count()).select_from(Session).where(col(Session.event_id) == event.id, where)
    return int((await db.exec(query)).one())


async def delete_part(db: AsyncSession, *, actor: Actor, event: Event, part: Part, part_id: int) -> None:
    """Deletes a room or a kind no session uses (refused with the count otherwise), or a track: its sessions
    lose the track."""
    require(actor, can_edit_programme_parts, event)
    await begin_write(db)
    try:
        row = await _row(db, event=event, part=part, part_id=part_id)
        used = await _users(db, event=event, part=part, row=row)
        if used and part is not TRACKS:
            message = (
                ngettext(
                    "%(count)d session is in this room. Move it to another room first.",
                    "%(count)d sessions are in this room. Move them to another room first.",
                    used,
                )
                if part is ROOMS
                else ngettext(
                    "%(count)d session is of this kind. Give it another kind first.",
                    "%(count)d sessions are of this kind. Give them another kind first.",
                    used,
                )
            )
            raise Conflict(message % {"count": used})
        if part is TRACKS and used:
            await db.exec(update(Session).where(col(Session.track_id) == row.id).values(track_id=None))
        record(
            db,
            actor=actor,
            event=event,
            action=f"{part.name}.delete",
            target_type=part.name,
            target_id=row.id,
            target_label=row.name,
            before={**snapshot(row, part.fields), "sessions": used},
        )
        await db.delete(row)
        await programme_changed(db, event=event)
        await db.commit()
    except BaseException:
        await db.rollback()
        raise


async def move_part(db: AsyncSession, *, actor: Actor, event: Event, part: Part, part_id: int, up: bool) -> None:
    """Moves a room, track or kind one place up or down the event's order (nothing at either end)."""
    require(actor, can_edit_programme_parts, event)
    model = part.model
    await begin_write(db)
    try:
        query = select(model).where(model.event_id == event.id).order_by(col(model.position), col(model.id))
        rows = list((await db.exec(query.with_for_update())).all())
        index = next((i for i, row in enumerate(rows) if row.id == part_id), None)
        if index is None:
            raise NotFound(_("There is no such %(thing)s in this event.") % {"thing": part.label()})
        other = index - 1 if up else index + 1
        if 0 <= other < len(rows):
            rows[index], rows[other] = rows[other], rows[index]
            for position, row in enumerate(rows):
                row.position = position
                db.add(row)
            moved = rows[other]
            record(
                db,
                actor=actor,
                event=event,
                action=f"{part.name}.reorder",
                target_type=part.name,
                target_id=moved.id,
                target_label=moved.name,
                before={"position": index},
                after={"position": other},
            )
        await programme_changed(db, event=event)
        await db.commit()
    except BaseException:
        await db.rollback()
        raise


def form_of(row: SQLModel | None) -> dict[str, Any]:
    """A row's values as its form shows them."""
    if row is None:
        return {}
    values = {key: value for key, value in row.model_dump().items() if key not in ("event_id", "translations")}
    return values | translation_form_values(getattr(row, "translations", None))
