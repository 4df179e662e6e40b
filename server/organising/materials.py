"""A session's materials: files (slides, papers) and links, in order, each shown to everyone or to the event's
delegates only. Files are checked against an allow-list of types and a size limit, and stored under a random name
in the media folder's ``materials``; the original name is only offered when downloading."""

from __future__ import annotations

import re
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.accounts.actors import Actor
from server.agenda.models import MaterialKind, Session, SessionMaterial
from server.agenda.ordering import move_one_place
from server.agenda.rules import can_edit_programme_parts
from server.audit.services import record, snapshot
from server.db import begin_write
from server.errors import Conflict, FieldErrors, NotFound
from server.events.models import Event
from server.i18n import gettext as _
from server.organising.fields import Fields
from server.organising.published import programme_changed
from server.permissions import require

MAX_MATERIAL_BYTES = 20 * 1024 * 1024
MAX_PER_SESSION = 50
AUDITED = ("kind", "title", "url", "filename", "size", "delegates_only", "position")
# Extension: (content type, the first bytes every such file starts with). Office files are zip archives.
ALLOWED: dict[str, tuple[str, tuple[bytes, ...]]] = {
    "pdf": ("application/pdf", (b"%PDF-",)),
    "pptx": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", (b"PK\x03\x04",)),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", (b"PK\x03\x04",)),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (b"PK\x03\x04",)),
    "odp": ("application/vnd.oasis.opendocument.presentation", (b"PK\x03\x04",)),
    "odt": ("application/vnd.oasis.opendocument.text", (b"PK\x03\x04",)),
    "ppt": ("application/vnd.ms-powerpoint", (b"\xd0\xcf\x11\xe0",)),
    "doc": ("application/msword", (b"\xd0\xcf\x11\xe0",)),
    "txt": ("text/plain; charset=utf-8", (b"",)),
}
_SAFE_NAME = re.compile(r"[^\w.\- ]+")


def materials_dir(media_dir: Path) -> Path:
    return media_dir / "materials"


def material_path(media_dir: Path, stored_name: str) -> Path:
    return materials_dir(media_dir) / stored_name


async def _session(db: AsyncSession, *, event: Event, code: str) -> Session:
    session = (await db.exec(select(Session).where(Session.event_id == event.id, Session.code == code))).first()
    if session is None:
        raise NotFound(_("There is no such session in this event."))
    return session


async def materials_of(db: AsyncSession, *, session_id: int) -> list[SessionMaterial]:
    query = (
        select(SessionMaterial)
        .where(SessionMaterial.session_id == session_id)
        .order_by(col(SessionMaterial.position), col(SessionMaterial.id))
    )
    return list((await db.exec(query)).all())


async def material_of(db: AsyncSession, *, event: Event, material_id: int) -> SessionMaterial:
    """One of the event's materials; another event's is not found."""
    query = select(SessionMaterial).where(SessionMaterial.id == material_id, SessionMaterial.event_id == event.id)
    material = (await db.exec(query)).first()
    if material is None:
        raise NotFound(_("There is no such material in this event."))
    return material


def _file_checked(filename: str, data: bytes) -> tuple[str, str]:
    """(safe name, content type) of an allowed file; InvalidInput otherwise."""
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    allowed = ALLOWED.get(extension)
    kinds = ", ".join(sorted(ALLOWED))
    if allowed is None:
        raise FieldErrors({"file": _("Please send a file of one of these types: %(kinds)s.") % {"kinds": kinds}})
    content_type, starts = allowed
    if not any(data.startswith(start) for start in starts) or (extension == "txt" and not _text(data)):
        raise FieldErrors({"file": _("This file is not the %(kind)s file its name says.") % {"kind": extension}})
    safe = _SAFE_NAME.sub("_", filename.replace("\\", "/").rsplit("/", 1)[-1]).strip() or f"material.{extension}"
    return safe[-200:], content_type


def _text(data: bytes) -> bool:
    try:
        return "\x00" not in data.decode("utf-8")
    except UnicodeDecodeError:
        return False


def _link(fields: Fields) -> str:
    url = fields.text("url", max_length=2000)
    if "url" not in fields.errors:
        parts = urlsplit(url)
        if parts.scheme.lower() not in {"http", "https"} or not parts.netloc or any(c.isspace() for c in url):
            fields.refuse("url", _("Write a web address starting with https:// or http://."))
    return url


async def add_material(
    db: AsyncSession,
    *,
    actor: Actor,
    event: Event,
    code: str,
    form: dict[str, Any],
    filename: str | None,
    data: bytes | None,
    media_dir: Path,
) -> SessionMaterial:
    """Adds a link (the form's ``url``) or a file to the session's materials, last in order."""
    require(actor, can_edit_programme_parts, event)
    fields = Fields(form)
    title = fields.text("title", max_length=200, required=False)
    values: dict[str, Any] = {"delegates_only": fields.flag("delegates_only")}
    if data is not None and filename is not None:
        if len(data) > MAX_MATERIAL_BYTES:
            limit = MAX_MATERIAL_BYTES // (1024 * 1024)
            fields.refuse("file", _("This file is larger than %(size)d MB.") % {"size": limit})
        else:
            try:
                safe, content_type = _file_checked(filename, data)
                values |= {"kind": MaterialKind.file.value, "filename": safe, "content_type": content_type}
                values |= {"size": len(data)}
            except FieldErrors as refusal:
                fields.errors.update(refusal.errors)
    else:
        values |= {"kind": MaterialKind.link.value, "url": _link(fields)}
    fields.done()
    values["title"] = title or values.get("filename") or values.get("url", "")[:200]
    stored = ""
    if values["kind"] == MaterialKind.file.value and data is not None:
        stored = secrets.token_hex(16)
        folder = materials_dir(media_dir)
        folder.mkdir(parents=True, exist_ok=True)
        material_path(media_dir, stored).write_bytes(data)
        values["stored_name"] = stored
    try:
        await begin_write(db)
        session = await _session(db, event=event, code=code)
        count = (
            await db.exec(
                select(func.count()).select_from(SessionMaterial).where(SessionMaterial.session_id == session.id)
            )
        ).one()
        if count >= MAX_PER_SESSION:
            raise Conflict(_("A session has at most %(count)d materials.") % {"count": MAX_PER_SESSION})
        last = (
            await db.exec(select(func.max(SessionMaterial.position)).where(SessionMaterial.session_id == session.id))
        ).one()
        position = (last if last is not None else -1) + 1
        material = SessionMaterial(event_id=event.id or 0, session_id=session.id or 0, position=position, **values)
        db.add(material)
        await db.flush()
        record(
            db,
            actor=actor,
            event=event,
            action="material.create",
            target_type="material",
            target_id=material.id,
            target_label=f"{session.code}: {material.title}"[:300],
            after=snapshot(material, AUDITED),
        )
        await programme_changed(db, event=event)
        await db.commit()
    except BaseException:
        await db.rollback()
        if stored:
            material_path(media_dir, stored).unlink(missing_ok=True)
        raise
    return material


async def delete_material(
    db: AsyncSession, *, actor: Actor, event: Event, code: str, material_id: int, media_dir: Path
) -> None:
    require(actor, can_edit_programme_parts, event)
    await begin_write(db)
    try:
        material = await _material_in(db, event=event, code=code, material_id=material_id)
        record(
            db,
            actor=actor,
            event=event,
            action="material.delete",
            target_type="material",
            target_id=material.id,
            target_label=material.title,
            before=snapshot(material, AUDITED),
        )
        stored = material.stored_name
        await db.delete(material)
        await programme_changed(db, event=event)
        await db.commit()
    except BaseException:
        await db.rollback()
        raise
    if stored:
        material_path(media_dir, stored).unlink(missing_ok=True)


async def move_material(db: AsyncSession, *, actor: Actor, event: Event, code: str, material_id: int, up: bool) -> None:
    require(actor, can_edit_programme_parts, event)
    await begin_write(db)
    try:
        material = await _material_in(db, event=event, code=code, material_id=material_id)
        rows = await materials_of(db, session_id=material.session_id)
        moved = move_one_place(db, rows, row_id=material.id, up=up)
        if moved is not None:
            index, other = moved
            record(
                db,
                actor=actor,
                event=event,
                action="material.reorder",
                target_type="material",
                target_id=material.id,
                target_label=material.title,
                before={"position": index},
                after={"position": other},
            )
        await programme_changed(db, event=event)
        await db.commit()
    except BaseException:
        await db.rollback()
        raise


async def _material_in(db: AsyncSession, *, event: Event, code: str, material_id: int) -> SessionMaterial:
    session = await _session(db, event=event, code=code)
    query = select(SessionMaterial).where(
        SessionMaterial.id == material_id,
        SessionMaterial.session_id == session.id,
        SessionMaterial.event_id == event.id,
    )
    material = (await db.exec(query.with_for_update())).first()
    if material is None:
        raise NotFound(_("There is no such material in this event."))
    return material
