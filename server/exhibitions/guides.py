"""Audio and video guides: a file whose first bytes prove its format (MP3, Ogg, WAV, MP4 or WebM, whatever its
name says), stored under a random name, played with seeking (served with range requests)."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.accounts.actors import Actor
from server.agenda.models import Session
from server.agenda.services import SessionView
from server.agenda.texts import form_translations
from server.audit.services import record, snapshot
from server.db import begin_write
from server.errors import Conflict, NotFound
from server.events.models import Event
from server.exhibitions.form import Form
from server.exhibitions.kind import exhibition_session
from server.exhibitions.models import ExhibitionGuide
from server.exhibitions.rules import can_build_exhibitions
from server.i18n import gettext as _
from server.permissions import require

MAX_GUIDE_BYTES = 100 * 1024 * 1024
MAX_GUIDES = 10
GUIDE_FIELDS: dict[str, int | None] = {"title": 200}
AUDITED = ("title", "kind", "content_type", "size", "position", "translations")


def guides_dir(media_dir: Path) -> Path:
    return media_dir / "exhibition-guides"


def guide_path(media_dir: Path, stored: str) -> Path:
    return guides_dir(media_dir) / stored


def sniffed(data: bytes) -> tuple[str, str] | None:
    """(kind, content type) of a guide's file from its first bytes; None for anything else."""
    if data[4:8] == b"ftyp":
        return ("audio", "audio/mp4") if data[8:11] == b"M4A" else ("video", "video/mp4")
    if data.startswith(b"\x1a\x45\xdf\xa3"):
        return ("video", "video/webm")
    if data.startswith(b"OggS"):
        return ("audio", "audio/ogg")
    if data.startswith(b"ID3") or (len(data) > 1 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0):
        return ("audio", "audio/mpeg")
    if data.startswith(b"RIFF") and data[8:12] == b"WAVE":
        return ("audio", "audio/wav")
    return None


async def guides_of(db: AsyncSession, *, session_id: int) -> list[ExhibitionGuide]:
    query = (
        select(ExhibitionGuide)
        .where(ExhibitionGuide.session_id == session_id)
        .order_by(col(ExhibitionGuide.position), col(ExhibitionGuide.id))
    )
    return list((await db.exec(query)).all())


async def add_guide(
    db: AsyncSession,
    *,
    actor: Actor,
    event: Event,
    view: SessionView,
    form: dict[str, Any],
    data: bytes | None,
    media_dir: Path,
) -> ExhibitionGuide:
    require(actor, can_build_exhibitions, event)
    session = exhibition_session(view)
    fields = Form(form)
    title = fields.text("title", max_length=200, required=True)
    translations, refused = form_translations(form, event, GUIDE_FIELDS)
    fields.errors.update(refused)
    found = sniffed(data) if data else None
    if not data:
        fields.refuse("guide", _("Please choose an audio or video file."))
    elif len(data) > MAX_GUIDE_BYTES:
        fields.refuse("guide", _("This file is larger than %(size)d MB.") % {"size": MAX_GUIDE_BYTES // (1024 * 1024)})
    elif found is None:
        fields.refuse("guide", _("Please send audio (MP3, M4A, Ogg, WAV) or video (MP4, WebM)."))
    fields.done()
    assert data is not None and found is not None
    stored = secrets.token_hex(16)
    guides_dir(media_dir).mkdir(parents=True, exist_ok=True)
    guide_path(media_dir, stored).write_bytes(data)
    try:
        await begin_write(db)
        # Two organisers uploading at once take turns (PostgreSQL): the count and the next position hold.
        await db.exec(select(Session.id).where(Session.id == session.id).with_for_update())
        count = (
            await db.exec(
                select(func.count()).select_from(ExhibitionGuide).where(ExhibitionGuide.session_id == session.id)
            )
        ).one()
        if count >= MAX_GUIDES:
            raise Conflict(_("An exhibition has at most %(count)d guides.") % {"count": MAX_GUIDES})
        guide = ExhibitionGuide(
            event_id=event.id or 0,
            session_id=session.id or 0,
            title=title,
            kind=found[0],
            content_type=found[1],
            stored_name=stored,
            size=len(data),
            position=count,
            translations=translations,
        )
        db.add(guide)
        await db.flush()
        record(
            db,
            actor=actor,
            event=event,
            action="exhibition.guide.create",
            target_type="exhibition_guide",
            target_id=guide.id,
            target_label=f"{session.code}: {title}"[:300],
            after=snapshot(guide, AUDITED),
        )
        await db.commit()
    except BaseException:
        await db.rollback()
        guide_path(media_dir, stored).unlink(missing_ok=True)
        raise
    return guide


async def delete_guide(
    db: AsyncSession, *, actor: Actor, event: Event, view: SessionView, guide_id: int, media_dir: Path
) -> None:
    require(actor, can_build_exhibitions, event)
    session = exhibition_session(view)
    await begin_write(db)
    try:
        query = select(ExhibitionGuide).where(ExhibitionGuide.id == guide_id, ExhibitionGuide.session_id == session.id)
        guide = (await db.exec(query.with_for_update())).first()
        if guide is None:
            raise NotFound(_("There is no such guide in this exhibition."))
        record(
            db,
            actor=actor,
            event=event,
            action="exhibition.guide.delete",
            target_type="exhibition_guide",
            target_id=guide.id,
            target_label=f"{session.code}: {guide.title}"[:300],
            before=snapshot(guide, AUDITED),
        )
        stored = guide.stored_name
        await db.delete(guide)
        await db.commit()
    except BaseException:
        await db.rollback()
        raise
    guide_path(media_dir, stored).unlink(missing_ok=True)


async def guide_of(db: AsyncSession, *, event: Event, guide_id: int) -> ExhibitionGuide:
    """One of the event's guides; another event's is not found."""
    query = select(ExhibitionGuide).where(ExhibitionGuide.id == guide_id, ExhibitionGuide.event_id == event.id)
    guide = (await db.exec(query)).first()
    if guide is None:
        raise NotFound(_("There is no such guide in this event."))
    return guide
