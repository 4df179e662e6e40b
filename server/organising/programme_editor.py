"""Editing the programme's working copy: create, edit, move, bulk edit, cancel and discard sessions.

Every change goes to a ``SessionDraft``; the public sees it only after a release (``releases.py``). A change carries
the edit version it was based on: an older one is refused with the other organiser's values (``StaleEdit``).
Capacity below the on-site seats already taken is refused with the count; clashes are only warnings.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Mapping, Sequence
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from server.accounts.actors import Actor
from server.agenda.models import Session
from server.audit.services import record
from server.clock import utcnow
from server.db import begin_write
from server.errors import Conflict, InvalidInput
from server.events.models import Event
from server.i18n import gettext as _
from server.i18n import ngettext
from server.organising.models import SessionDraft
from server.organising.rules import can_edit_programme
from server.organising.session_input import (
    FIELDS,
    MAX_SHIFT,
    FieldErrors,
    event_room,
    local_moment,
    number,
    parse_session_form,
    row_id,
)
from server.organising.working_copy import (
    EditorSession,
    WorkingCopy,
    load_working_copy,
)
from server.permissions import require
from server.registration.seats import seats_taken

__all__ = ["BULK_ACTIONS", "FIELDS", "FieldErrors", "StaleEdit"]
BULK_ACTIONS = ("shift", "room", "track", "kind", "cancel")
MAX_BULK = 1000  # sessions in one bulk edit


class StaleEdit(Conflict):
    """Someone saved the session after this form was opened: their values are in ``current``."""

    def __init__(self, current: EditorSession) -> None:
        super().__init__(
            _("Another organiser changed this session while you were editing it. Their values are shown beside yours.")
        )
        self.current = current


def values_of(item: EditorSession) -> dict[str, Any]:
    """The working copy's values of a session, as a draft stores them (and the audit log shows them)."""
    session = item.session
    return {name: getattr(session, name) for name in FIELDS} | {"speaker_ids": list(item.speaker_ids)}


def released_values(session: Session, speaker_ids: Sequence[int]) -> dict[str, Any]:
    return {name: getattr(session, name) for name in FIELDS} | {"speaker_ids": list(speaker_ids)}


def _checked_version(item: EditorSession, version: str) -> None:
    if row_id(version) != item.version:
        raise StaleEdit(item)


def _new_code(copy: WorkingCopy, title: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:40].strip("-") or "session"
    code = slug
    while code in copy.by_code:
        code = f"{slug}-{secrets.token_hex(2)}"
    return code


def _seats(copy: WorkingCopy, values: Mapping[str, Any]) -> int:
    """The on-site seats the values offer: their own number, or their room's."""
    room = next(room for room in copy.rooms if room.id == values["room_id"])
    return room.capacity if values["capacity"] is None else int(values["capacity"])


async def _check_capacity(
    db: AsyncSession, copy: WorkingCopy, item: EditorSession, before: Mapping[str, Any], after: Mapping[str, Any]
) -> None:
    """Refuses fewer seats than are already taken. Only a change of seats is checked (a new title never fails
    because seats were taken beyond a room made smaller elsewhere); a cancellation frees the seats instead."""
    if item.released is None or after["cancelled"] or _seats(copy, after) >= _seats(copy, before):
        return
    taken = await seats_taken(db, session_id=item.released.id or 0)
    if _seats(copy, after) < taken:
        message = ngettext(
            "%(count)s seat is already taken in “%(title)s”: the capacity cannot go below it.",
            "%(count)s seats are already taken in “%(title)s”: the capacity cannot go below them.",
            taken,
        ) % {"count": taken, "title": after["title"]}
        raise FieldErrors({"capacity": message})


async def _put_draft(
    db: AsyncSession, *, actor: Actor, copy: WorkingCopy, item: EditorSession, changes: Mapping[str, Any], action: str
) -> None:
    """Lays ``changes`` over the session's working values; a draft back at the released values goes away."""
    before = values_of(item)
    after = {**before, **changes}
    await _check_capacity(db, copy, item, before, after)
    draft, released = item.draft, item.released
    if released is not None:
        released.version += 1  # the editor's version: every change moves it, whatever the public sees
        db.add(released)
    if released is not None and after == released_values(released, item.released_speaker_ids):
        if draft is not None:
            await db.delete(draft)
    else:
        if draft is None:
            draft = SessionDraft(
                event_id=copy.event.id or 0, session_id=released.id if released else None, code=item.code, **after
            )
        for name, value in after.items():
            setattr(draft, name, value)
        draft.updated_at = utcnow()
        draft.version = released.version if released is not None else draft.version + 1
        db.add(draft)
    record(
        db,
        actor=actor,
        event=copy.event,
        action=action,
        target_type="session",
        target_id=item.code,
        target_label=str(after["title"]),
        before=before,
        after=after,
    )


async def _working_copy_for_write(db: AsyncSession, *, actor: Actor, event: Event) -> WorkingCopy:
    require(actor, can_edit_programme, event)
    await begin_write(db)
    return await load_working_copy(db, event=event)


async def save_session(
    db: AsyncSession, *, actor: Actor, event: Event, code: str | None, form: Mapping[str, Any]
) -> str:
    """Creates a session (``code`` None) or saves every field of one; returns its code."""
    copy = await _working_copy_for_write(db, actor=actor, event=event)
    try:
        item = copy.get(code) if code is not None else None
        if item is not None:
            _checked_version(item, str(form.get("version", "")))
        values = parse_session_form(copy, form)
        changes = {name: getattr(values, name) for name in FIELDS if name != "cancelled"}
        changes["speaker_ids"] = list(values.speaker_ids)
        if item is None:
            draft = SessionDraft(
                event_id=event.id or 0,
                code=_new_code(copy, values.title),
                speaker_ids=list(values.speaker_ids),
                **{name: getattr(values, name) for name in FIELDS if name != "cancelled"},
            )
            db.add(draft)
            record(
                db,
                actor=actor,
                event=event,
                action="session.create",
                target_type="session",
                target_id=draft.code,
                target_label=values.title,
                after={**changes, "cancelled": False},
            )
            await db.commit()
            return draft.code
        await _put_draft(db, actor=actor, copy=copy, item=item, changes=changes, action="session.update")
    except StaleEdit:
        await db.rollback()  # which expires what was loaded: their values are read again to be shown
        current = (await load_working_copy(db, event=event)).get(code or "")
        raise StaleEdit(current) from None
    except Exception:
        await db.rollback()
        raise
    await db.commit()
    return item.code


async def move_session(
    db: AsyncSession, *, actor: Actor, event: Event, code: str, day: str, start: str, room: str, version: str
) -> None:
    """Another slot or room (from the grid's Move form); the duration stays."""
    copy = await _working_copy_for_write(db, actor=actor, event=event)
    try:
        item = copy.get(code)
        _checked_version(item, version)
        errors: dict[str, str] = {}
        missing: list[str] = []
        moment = local_moment(day, start, copy.zone, errors)
        target = event_room(copy, room, errors, missing)
        if errors or moment is None or target is None:
            raise FieldErrors(errors, not_found=bool(missing))
        duration = item.session.end - item.session.start
        changes = {"start": moment, "end": moment + duration, "room_id": target.id}
        await _put_draft(db, actor=actor, copy=copy, item=item, changes=changes, action="session.move")
    except Exception:
        await db.rollback()
        raise
    await db.commit()


async def bulk_edit(
    db: AsyncSession, *, actor: Actor, event: Event, codes: Sequence[str], action: str, value: str
) -> int:
    """One change to many sessions from the list view, all or none; returns how many changed."""
    copy = await _working_copy_for_write(db, actor=actor, event=event)
    try:
        if not codes:
            raise FieldErrors({"sessions": _("Tick the sessions to change first.")})
        if len(codes) > MAX_BULK:
            raise FieldErrors({"sessions": _("Change at most %(limit)s sessions at once.") % {"limit": MAX_BULK}})
        items = [copy.get(code) for code in dict.fromkeys(codes)]
        errors: dict[str, str] = {}
        missing: list[str] = []
        changes: dict[str, Any] = {}
        if action == "shift":
            text = value.strip()
            sign = -1 if text.startswith("-") else 1
            minutes = number(text.lstrip("+-"), limit=MAX_SHIFT)
            if not minutes:
                raise FieldErrors(
                    {
                        "value": _("Enter the minutes to move by, e.g. 30 or -15 (at most %(limit)s).")
                        % {"limit": MAX_SHIFT}
                    }
                )
        elif action == "room":
            target = event_room(copy, value, errors, missing)
            changes = {"room_id": target.id if target else None}
        elif action == "track":
            track_id = row_id(value) if value.strip() else None
            if value.strip() and track_id not in {track.id for track in copy.tracks}:
                errors["value"] = _("Choose a track of this event, or none.")
                missing.append("track")
            changes = {"track_id": track_id}
        elif action == "kind":
            if value not in {kind for kind, _label in copy.kinds}:
                errors["value"] = _("Choose a kind of session from the list.")
            changes = {"kind": value}
        elif action == "cancel":
            changes = {"cancelled": True}
        else:
            errors["action"] = _("Choose what to change.")
        if errors:
            raise FieldErrors(
                {"value" if key == "room" else key: text for key, text in errors.items()}, not_found=bool(missing)
            )
        changed = 0
        for item in items:
            if action == "cancel" and item.released is None:
                await _delete_draft(db, actor=actor, copy=copy, item=item)
                changed += 1
                continue
            if action == "shift":
                delta = dt.timedelta(minutes=sign * (minutes or 0))
                changes = {"start": item.session.start + delta, "end": item.session.end + delta}
            if all(getattr(item.session, name) == changed_value for name, changed_value in changes.items()):
                continue
            await _put_draft(db, actor=actor, copy=copy, item=item, changes=changes, action=f"session.bulk_{action}")
            changed += 1
    except Exception:
        await db.rollback()
        raise
    await db.commit()
    return changed


async def cancel_session(db: AsyncSession, *, actor: Actor, event: Event, code: str, version: str) -> None:
    """Marks the session cancelled in the draft; a session never released simply goes away."""
    copy = await _working_copy_for_write(db, actor=actor, event=event)
    try:
        item = copy.get(code)
        _checked_version(item, version)
        if item.released is None:
            await _delete_draft(db, actor=actor, copy=copy, item=item)
        else:
            await _put_draft(
                db, actor=actor, copy=copy, item=item, changes={"cancelled": True}, action="session.cancel"
            )
    except Exception:
        await db.rollback()
        raise
    await db.commit()


async def discard_draft(db: AsyncSession, *, actor: Actor, event: Event, code: str, version: str) -> None:
    """Back to the released values (a new session goes away)."""
    copy = await _working_copy_for_write(db, actor=actor, event=event)
    try:
        item = copy.get(code)
        _checked_version(item, version)
        if item.draft is None:
            raise InvalidInput(_("This session has no unreleased changes."))
        await _delete_draft(db, actor=actor, copy=copy, item=item)
    except Exception:
        await db.rollback()
        raise
    await db.commit()


async def _delete_draft(db: AsyncSession, *, actor: Actor, copy: WorkingCopy, item: EditorSession) -> None:
    if item.draft is not None:
        await db.delete(item.draft)
    if item.released is not None:
        item.released.version += 1
        db.add(item.released)
    record(
        db,
        actor=actor,
        event=copy.event,
        action="session.discard",
        target_type="session",
        target_id=item.code,
        target_label=item.session.title,
        before=values_of(item),
        after=released_values(item.released, item.released_speaker_ids) if item.released is not None else None,
    )
