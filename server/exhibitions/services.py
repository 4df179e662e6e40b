"""Building and showing an exhibition: its texts and hours (one save, with optimistic concurrency), its images
(uploaded several at once, all checked before any is stored), reordered, captioned and deleted, and its guides.
Every change is audited; another event's or another kind's session is "not found"."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.accounts.actors import Actor
from server.agenda.models import Session
from server.agenda.ordering import move_one_place
from server.agenda.services import SessionView
from server.agenda.texts import form_translations
from server.audit.services import record, snapshot
from server.db import begin_write
from server.errors import Conflict, FieldErrors, InvalidInput, NotFound, StaleVersion
from server.events.models import Event
from server.exhibitions.form import Form
from server.exhibitions.guides import guides_of
from server.exhibitions.hours import CLOCK
from server.exhibitions.images import checked_image, discard_image, store_image
from server.exhibitions.kind import exhibition_session
from server.exhibitions.models import Exhibition, ExhibitionGuide, ExhibitionImage
from server.exhibitions.rules import can_build_exhibitions
from server.i18n import gettext as _
from server.permissions import require

MAX_IMAGES = 60  # per exhibition
MAX_FILES_AT_ONCE = 20
EXHIBITION_FIELDS: dict[str, int | None] = {"intro": 20_000}
IMAGE_FIELDS: dict[str, int | None] = {"caption": 500, "credit": 300}
AUDITED = ("intro", "opens", "closes", "translations")
IMAGE_AUDITED = ("caption", "credit", "position", "widths", "translations")


@dataclass(frozen=True, slots=True)
class Shown:
    """An exhibition as its page shows it: its row (unsaved defaults when none), images and guides in order."""

    exhibition: Exhibition
    images: list[ExhibitionImage]
    guides: list[ExhibitionGuide]


async def _row(db: AsyncSession, *, session: Session, lock: bool = False) -> Exhibition | None:
    query = select(Exhibition).where(Exhibition.session_id == session.id)
    return (await db.exec(query.with_for_update() if lock else query)).first()


async def images_of(db: AsyncSession, *, session_id: int) -> list[ExhibitionImage]:
    query = (
        select(ExhibitionImage)
        .where(ExhibitionImage.session_id == session_id)
        .order_by(col(ExhibitionImage.position), col(ExhibitionImage.id))
    )
    return list((await db.exec(query)).all())


async def load_exhibition(db: AsyncSession, *, view: SessionView) -> Shown:
    session = exhibition_session(view)
    row = await _row(db, session=session)
    exhibition = row or Exhibition(session_id=session.id or 0, event_id=session.event_id, version=0)
    images = await images_of(db, session_id=session.id or 0)
    return Shown(exhibition=exhibition, images=images, guides=await guides_of(db, session_id=session.id or 0))


async def save_exhibition(
    db: AsyncSession, *, actor: Actor, event: Event, view: SessionView, form: dict[str, Any]
) -> Exhibition:
    """The intro and its translations, and the daily opening hours (both or neither)."""
    require(actor, can_build_exhibitions, event)
    session = exhibition_session(view)
    fields = Form(form)
    intro = fields.text("intro", max_length=20_000, required=False).replace("\r\n", "\n")
    opens, closes = (
        fields.text("opens", max_length=5, required=False),
        fields.text("closes", max_length=5, required=False),
    )
    for name, value in (("opens", opens), ("closes", closes)):
        if value and name not in fields.errors and not CLOCK.fullmatch(value):
            fields.refuse(name, _("Write a time as hours and minutes, like 09:30."))
    if bool(opens) != bool(closes):
        fields.refuse("closes" if opens else "opens", _("Give both the opening and the closing time, or neither."))
    elif opens and closes and not fields.errors and opens >= closes:
        fields.refuse("closes", _("The closing time must come after the opening time."))
    translations, refused = form_translations(form, event, EXHIBITION_FIELDS)
    fields.errors.update(refused)
    version = fields.version()
    fields.done()
    await begin_write(db)
    try:
        row = await _row(db, session=session, lock=True)
        if (row.version if row else 0) != version:
            raise StaleVersion(_("Someone else saved this exhibition while you were editing it."))
        before = snapshot(row, AUDITED) if row else None
        if row is None:
            row = Exhibition(session_id=session.id or 0, event_id=event.id or 0, version=0)
        row.intro, row.opens, row.closes, row.translations = intro, opens, closes, translations
        row.version += 1
        db.add(row)
        record(
            db,
            actor=actor,
            event=event,
            action="exhibition.update",
            target_type="session",
            target_id=session.id,
            target_label=session.code,
            before=before,
            after=snapshot(row, AUDITED),
        )
        await db.commit()
    except BaseException:
        await db.rollback()
        raise
    return row


async def add_images(
    db: AsyncSession,
    *,
    actor: Actor,
    event: Event,
    view: SessionView,
    files: list[tuple[str, bytes]],
    media_dir: Path,
) -> list[ExhibitionImage]:
    """Adds the uploaded images last in order. Every file is decoded first: one that is not an image, too large
    or a decompression bomb refuses the whole upload, naming it, and nothing is stored."""
    require(actor, can_build_exhibitions, event)
    session = exhibition_session(view)
    if not files:
        raise InvalidInput(_("Please choose one or more images."))
    if len(files) > MAX_FILES_AT_ONCE:
        raise InvalidInput(_("Please send at most %(count)d images at once.") % {"count": MAX_FILES_AT_ONCE})
    checked = [await asyncio.to_thread(checked_image, data, name) for name, data in files]
    stored: list[tuple[str, list[int], int, int]] = []
    try:
        for image in checked:
            stored.append(await asyncio.to_thread(store_image, image, media_dir=media_dir))
        await begin_write(db)
        # Two organisers uploading at once take turns (PostgreSQL): the count and the next position hold.
        await db.exec(select(Session.id).where(Session.id == session.id).with_for_update())
        count = (
            await db.exec(
                select(func.count()).select_from(ExhibitionImage).where(ExhibitionImage.session_id == session.id)
            )
        ).one()
        if count + len(stored) > MAX_IMAGES:
            raise Conflict(_("An exhibition has at most %(count)d images.") % {"count": MAX_IMAGES})
        last = (
            await db.exec(select(func.max(ExhibitionImage.position)).where(ExhibitionImage.session_id == session.id))
        ).one()
        position = (last if last is not None else -1) + 1
        added = []
        for offset, (name, widths, width, height) in enumerate(stored):
            row = ExhibitionImage(
                event_id=event.id or 0,
                session_id=session.id or 0,
                stored_name=name,
                widths=widths,
                width=width,
                height=height,
                position=position + offset,
            )
            db.add(row)
            added.append(row)
        await db.flush()
        for row in added:
            record(
                db,
                actor=actor,
                event=event,
                action="exhibition.image.create",
                target_type="exhibition_image",
                target_id=row.id,
                target_label=session.code,
                after=snapshot(row, IMAGE_AUDITED),
            )
        await db.commit()
    except BaseException:
        await db.rollback()
        for name, widths, _width, _height in stored:
            discard_image(name, widths, media_dir=media_dir)
        raise
    return added


async def _image_in(db: AsyncSession, *, session: Session, image_id: int) -> ExhibitionImage:
    query = select(ExhibitionImage).where(
        ExhibitionImage.id == image_id,
        ExhibitionImage.session_id == session.id,
        ExhibitionImage.event_id == session.event_id,
    )
    image = (await db.exec(query.with_for_update())).first()
    if image is None:
        raise NotFound(_("There is no such image in this exhibition."))
    return image


async def update_image(
    db: AsyncSession, *, actor: Actor, event: Event, view: SessionView, image_id: int, form: dict[str, Any]
) -> ExhibitionImage:
    """An image's caption and credit, in the default language and the event's others."""
    require(actor, can_build_exhibitions, event)
    session = exhibition_session(view)
    fields = Form(form)
    caption = fields.text("caption", max_length=500, required=False)
    credit = fields.text("credit", max_length=300, required=False)
    translations, refused = form_translations(form, event, IMAGE_FIELDS)
    fields.errors.update(refused)
    version = fields.version()
    if fields.errors:
        raise FieldErrors({f"{key}-{image_id}": message for key, message in fields.errors.items()})
    await begin_write(db)
    try:
        image = await _image_in(db, session=session, image_id=image_id)
        if image.version != version:
            raise StaleVersion(_("Someone else saved this image's caption while you were editing it."))
        before = snapshot(image, IMAGE_AUDITED)
        image.caption, image.credit, image.translations = caption, credit, translations
        image.version += 1
        db.add(image)
        record(
            db,
            actor=actor,
            event=event,
            action="exhibition.image.update",
            target_type="exhibition_image",
            target_id=image.id,
            target_label=session.code,
            before=before,
            after=snapshot(image, IMAGE_AUDITED),
        )
        await db.commit()
    except BaseException:
        await db.rollback()
        raise
    return image


async def move_image(
    db: AsyncSession, *, actor: Actor, event: Event, view: SessionView, image_id: int, up: bool
) -> None:
    """One place earlier (``up``) or later in the gallery."""
    require(actor, can_build_exhibitions, event)
    session = exhibition_session(view)
    await begin_write(db)
    try:
        image = await _image_in(db, session=session, image_id=image_id)
        rows = await images_of(db, session_id=session.id or 0)
        moved = move_one_place(db, rows, row_id=image.id, up=up)
        if moved is not None:
            index, other = moved
            record(
                db,
                actor=actor,
                event=event,
                action="exhibition.image.reorder",
                target_type="exhibition_image",
                target_id=image.id,
                target_label=session.code,
                before={"position": index},
                after={"position": other},
            )
        await db.commit()
    except BaseException:
        await db.rollback()
        raise


async def delete_image(
    db: AsyncSession, *, actor: Actor, event: Event, view: SessionView, image_id: int, media_dir: Path
) -> None:
    require(actor, can_build_exhibitions, event)
    session = exhibition_session(view)
    await begin_write(db)
    try:
        image = await _image_in(db, session=session, image_id=image_id)
        record(
            db,
            actor=actor,
            event=event,
            action="exhibition.image.delete",
            target_type="exhibition_image",
            target_id=image.id,
            target_label=session.code,
            before=snapshot(image, IMAGE_AUDITED),
        )
        stored, widths = image.stored_name, list(image.widths)
        await db.delete(image)
        await db.commit()
    except BaseException:
        await db.rollback()
        raise
    discard_image(stored, widths, media_dir=media_dir)


async def image_of(db: AsyncSession, *, event: Event, stored: str) -> ExhibitionImage:
    """The event's image stored under ``stored``; another event's is not found."""
    query = select(ExhibitionImage).where(ExhibitionImage.event_id == event.id, ExhibitionImage.stored_name == stored)
    image = (await db.exec(query)).first()
    if image is None:
        raise NotFound(_("There is no such image in this event."))
    return image
