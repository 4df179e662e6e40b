"""Importing a schedule into an event: what a file would change (the preview), and applying it in one transaction.

Matching on re-import: sessions by the file's frab ``guid`` first, then by ``code``; rooms, tracks and people by
slug, and for frab files (which only name them) by name too. Matched rows are updated in place, so a session's
id, its picks and a speaker's account link survive. A session the file leaves out but that people picked is kept
(with the rooms, tracks and speakers it uses), and the preview names it. ``apply_import`` is the one function
that writes; the API's session and people writes go through it too.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, delete, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.accounts.actors import Actor
from server.accounts.models import EventRole, Role
from server.agenda.interchange import session_guid
from server.agenda.kinds import DEFAULT_NAMES, default_kinds, event_kinds
from server.agenda.models import EventSessionKind, Person, Room, Session, SessionKind, SessionSpeaker, Track
from server.agenda.schedule_files import WantedSchedule, WantedSession
from server.audit.services import record
from server.db import begin_write
from server.errors import Conflict, InvalidInput
from server.events.models import Event
from server.i18n import gettext as _
from server.live.event_settings import new_event_settings
from server.organising.rules import can_import_new_event, can_import_schedule
from server.permissions import require
from server.registration.models import SessionChoice

EVENT_FIELDS = (
    "title",
    "acronym",
    "description",
    "timezone",
    "start_date",
    "end_date",
    "venue",
    "city",
    "country",
    "languages",
    "attendance",
    "url",
)
ROOM_FIELDS = ("name", "description", "capacity")
TRACK_FIELDS = ("name", "color")
PERSON_FIELDS = ("name", "organisation", "country", "biography")
SESSION_FIELDS = ("code", "title", "abstract", "kind", "start", "end", "room", "track", "language", "speakers")
KINDS = ("room", "track", "person", "session")


@dataclass(frozen=True)
class Change:
    kind: str  # room, track, person, session
    key: str  # slug or code
    label: str  # name or title
    fields: tuple[str, ...] = ()  # what differs, for a changed object


@dataclass
class ImportPlan:
    """What applying ``wanted`` to the event would do. ``new_event`` holds the columns of an event to create."""

    wanted: WantedSchedule
    new_event: dict[str, Any] | None
    event_changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    new: list[Change] = field(default_factory=list)
    changed: list[Change] = field(default_factory=list)
    removed: list[Change] = field(default_factory=list)
    kept: list[Change] = field(default_factory=list)  # sessions the file leaves out that people picked
    notes: list[str] = field(default_factory=list)
    # Rows the file matched, by the file's slug or code, and the guids new sessions get.
    rooms: dict[str, Room] = field(default_factory=dict)
    tracks: dict[str, Track] = field(default_factory=dict)
    people: dict[str, Person] = field(default_factory=dict)
    sessions: dict[str, Session] = field(default_factory=dict)
    guids: dict[str, uuid.UUID] = field(default_factory=dict)
    doomed: dict[str, list[Any]] = field(default_factory=dict)  # rows to delete, by kind

    @property
    def is_empty(self) -> bool:
        return not (self.new_event or self.event_changes or self.new or self.changed or self.removed)

    def counts(self) -> dict[str, dict[str, int]]:
        """{"new": {"session": 3, ...}, "changed": ..., "removed": ..., "kept": ...} for the audit entry."""
        return {
            name: {kind: sum(1 for c in changes if c.kind == kind) for kind in KINDS}
            for name, changes in (("new", self.new), ("changed", self.changed), ("removed", self.removed))
        } | {"kept": {"session": len(self.kept)}}

    def digest(self) -> str:
        """Names this plan: "Apply" carries it, so a programme changed since the preview is never overwritten."""
        text = json.dumps(
            [self.new_event, self.event_changes, self.new, self.changed, self.removed, self.kept],
            default=str,
            sort_keys=True,
        )
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def _label(kind: str, row: Any) -> str:
    return str(row.title if kind == "session" else row.name)


def _key(kind: str, row: Any) -> str:
    return str(row.code if kind == "session" else row.slug)


async def _rows(db: AsyncSession, table: Any, event: Event | None) -> list[Any]:
    if event is None:
        return []
    return list((await db.exec(select(table).where(table.event_id == event.id).order_by(col(table.id)))).all())


def _match(wanted: list[dict[str, Any]], rows: list[Any], *, by_name: bool) -> dict[str, Any]:
    """The file's slug → the row it names: the same slug, or (frab) the same name."""
    by_slug = {row.slug: row for row in rows}
    names = {row.name.casefold(): row for row in rows}
    matched: dict[str, Any] = {}
    used: set[int] = set()
    for entry in wanted:
        row = by_slug.get(entry["slug"])
        if by_name and (row is None or row.id in used):
            row = names.get(entry["name"].casefold())
        if row is not None and row.id not in used:
            matched[entry["slug"]] = row
            used.add(row.id)
    return matched


def _differs(row: Any, entry: dict[str, Any], names: Sequence[str]) -> tuple[str, ...]:
    return tuple(name for name in names if name in entry and getattr(row, name) != entry[name])


async def plan_import(db: AsyncSession, *, event: Event | None, wanted: WantedSchedule) -> ImportPlan:
    """Compares ``wanted`` with the event's programme (``None``: a new event) without writing anything."""
    plan = ImportPlan(wanted=wanted, new_event=None, notes=list(wanted.notes))
    if event is None:
        taken = await db.exec(select(col(Event.id)).where(col(Event.slug) == wanted.event["slug"]))
        if taken.first() is not None:
            raise InvalidInput(
                _('An event with the address "%(slug)s" already exists; import into it from its own back office.')
                % {"slug": wanted.event["slug"]}
            )
        plan.new_event = dict(wanted.event)
    else:
        _plan_event(plan, event, wanted)
    by_name = wanted.matches_by_name
    for kind, table, entries, names in (
        ("room", Room, wanted.rooms, ROOM_FIELDS),
        ("track", Track, wanted.tracks, TRACK_FIELDS),
        ("person", Person, wanted.people, PERSON_FIELDS),
    ):
        rows = await _rows(db, table, event)
        matched = _match(entries, rows, by_name=by_name)
        getattr(plan, {"room": "rooms", "track": "tracks", "person": "people"}[kind]).update(matched)
        for entry in entries:
            row = matched.get(entry["slug"])
            if row is None:
                plan.new.append(Change(kind, entry["slug"], entry["name"]))
            elif differs := _differs(row, entry, names):
                plan.changed.append(Change(kind, row.slug, entry["name"], differs))
        kept_ids = {row.id for row in matched.values()}
        plan.doomed[kind] = [row for row in rows if row.id not in kept_ids]
    await _plan_sessions(db, plan, event, wanted)
    return plan


def _plan_event(plan: ImportPlan, event: Event, wanted: WantedSchedule) -> None:
    target = dict(wanted.event)
    if wanted.matches_by_name:  # a frab file keeps the event as it is, but widens its days and languages
        days = [target["start_date"], target["end_date"], event.start_date, event.end_date]
        languages = list(dict.fromkeys([*event.language_list, *target["languages"].split(",")]))
        target = {"start_date": min(days), "end_date": max(days), "languages": ",".join(languages)}
    for name in EVENT_FIELDS:
        if name in target and getattr(event, name) != target[name]:
            plan.event_changes[name] = (getattr(event, name), target[name])


async def _plan_sessions(db: AsyncSession, plan: ImportPlan, event: Event | None, wanted: WantedSchedule) -> None:
    rows: list[Session] = await _rows(db, Session, event)
    by_guid = {row.guid: row for row in rows}
    by_code = {row.code: row for row in rows}
    speakers = await _speakers(db, rows)
    room_slugs = {row.id: row.slug for row in plan.rooms.values()} | {r.id: r.slug for r in plan.doomed["room"]}
    track_slugs = {row.id: row.slug for row in plan.tracks.values()} | {t.id: t.slug for t in plan.doomed["track"]}
    people_slugs = {row.id: row.slug for row in plan.people.values()} | {p.id: p.slug for p in plan.doomed["person"]}
    file_slug = _file_slugs(plan)
    slug = wanted.event["slug"] if event is None else event.slug
    # A frab guid another event holds already (the same file imported twice) gets one of this event's own.
    foreign = {s.guid for s in wanted.sessions if s.guid is not None}
    if foreign:
        query = select(col(Session.guid)).where(col(Session.guid).in_(foreign))
        if event is not None:
            query = query.where(Session.event_id != event.id)
        foreign = set((await db.exec(query)).all())
    used: set[int] = set()
    for entry in wanted.sessions:
        guid = entry.guid if entry.guid is not None and entry.guid not in foreign else None
        if entry.guid is not None and guid is None:
            guid = uuid.uuid5(uuid.NAMESPACE_URL, f"podium:{slug}:{entry.guid}")
        row = by_guid.get(guid) if guid is not None else None
        if row is None or row.id in used:
            row = by_code.get(entry.code)
        if row is None or row.id in used:
            plan.new.append(Change("session", entry.code, entry.title))
            plan.guids[entry.code] = guid or session_guid(slug, entry.code)
            continue
        used.add(row.id or 0)
        plan.sessions[entry.code] = row
        current = {
            **{name: getattr(row, name) for name in ("code", "title", "abstract", "kind", "start", "end", "language")},
            "room": file_slug["room"].get(room_slugs.get(row.room_id, ""), ""),
            "track": file_slug["track"].get(track_slugs.get(row.track_id, ""), "") if row.track_id else None,
            "speakers": [
                file_slug["person"].get(people_slugs.get(pid, ""), "") for pid in speakers.get(row.id or 0, [])
            ],
        }
        differs = tuple(name for name in SESSION_FIELDS if current[name] != getattr(entry, name))
        if entry.translations is not None and entry.translations != row.translations:
            differs = (*differs, "translations")
        if differs:
            plan.changed.append(Change("session", entry.code, entry.title, differs))
    leftover = [row for row in rows if row.id not in used]
    picks = await _pick_counts(db, leftover)
    plan.doomed["session"] = [row for row in leftover if not picks.get(row.id or 0)]
    kept = [row for row in leftover if picks.get(row.id or 0)]
    plan.kept.extend(Change("session", row.code, row.title, (str(picks[row.id or 0]),)) for row in kept)
    _keep_what_kept_sessions_use(plan, kept, speakers)
    for kind in KINDS:
        plan.removed.extend(Change(kind, _key(kind, row), _label(kind, row)) for row in plan.doomed[kind])


def _file_slugs(plan: ImportPlan) -> dict[str, dict[str, str]]:
    """A row's slug → the slug the file names it by (they differ when a frab name matched)."""
    return {
        "room": {row.slug: key for key, row in plan.rooms.items()},
        "track": {row.slug: key for key, row in plan.tracks.items()},
        "person": {row.slug: key for key, row in plan.people.items()},
    }


def _keep_what_kept_sessions_use(plan: ImportPlan, kept: list[Session], speakers: dict[int, list[int]]) -> None:
    rooms = {row.room_id for row in kept}
    tracks = {row.track_id for row in kept}
    people = {pid for row in kept for pid in speakers.get(row.id or 0, [])}
    plan.doomed["room"] = [row for row in plan.doomed["room"] if row.id not in rooms]
    plan.doomed["track"] = [row for row in plan.doomed["track"] if row.id not in tracks]
    plan.doomed["person"] = [row for row in plan.doomed["person"] if row.id not in people]


async def _speakers(db: AsyncSession, rows: list[Session]) -> dict[int, list[int]]:
    if not rows:
        return {}
    links = await db.exec(
        select(SessionSpeaker)
        .where(col(SessionSpeaker.session_id).in_([row.id for row in rows]))
        .order_by(col(SessionSpeaker.session_id), col(SessionSpeaker.position))
    )
    speakers: dict[int, list[int]] = {}
    for link in links.all():
        speakers.setdefault(link.session_id, []).append(link.person_id)
    return speakers


async def _pick_counts(db: AsyncSession, rows: list[Session]) -> dict[int, int]:
    if not rows:
        return {}
    counts = await db.exec(
        select(SessionChoice.session_id, func.count())
        .where(col(SessionChoice.session_id).in_([row.id for row in rows]))
        .group_by(col(SessionChoice.session_id))
    )
    return {session_id: int(count) for session_id, count in counts.all()}


# --- Applying ------------------------------------------------------------------------------------------------


async def apply_import(
    db: AsyncSession,
    *,
    actor: Actor,
    event: Event | None,
    wanted: WantedSchedule,
    digest: str | None = None,
    action: str = "import.apply",
    label: str = "",
    actor_label: str = "",
    keep_picked: bool = True,
) -> tuple[Event, ImportPlan]:
    """Makes the event's programme what ``wanted`` says, in one transaction, and bumps the event's version so
    cached pages refresh. The plan is made again inside the transaction; when ``digest`` (the preview's) no
    longer matches it, nothing is written (Conflict). ``event`` ``None`` creates the event, with ``actor``
    as its organiser. ``keep_picked`` False refuses, rather than keeps, removing a session people picked (the API)."""
    require(actor, can_import_new_event if event is None else can_import_schedule, event)
    await begin_write(db)
    if event is not None:
        locked = (await db.exec(select(Event).where(Event.id == event.id).with_for_update())).one()
        event = locked
    plan = await plan_import(db, event=event, wanted=wanted)
    if digest is not None and plan.digest() != digest:
        await db.rollback()
        raise Conflict(_("The programme changed since this preview. Check the new preview and apply it again."))
    if plan.kept and not keep_picked:
        await db.rollback()
        picked = ", ".join(f"{change.key} ({change.fields[0]})" for change in plan.kept)
        raise Conflict(_("People picked these sessions, so they stay: %(sessions)s.") % {"sessions": picked})
    if event is None:
        assert plan.new_event is not None
        event = Event(**plan.new_event, version=1, published=False)  # as an event created in the browser: a draft
        db.add(event)
        try:
            await db.flush()
        except IntegrityError:  # another import took the address between the plan and now
            await db.rollback()
            raise Conflict(_("An event with this address was just created; reload and try again.")) from None
        if actor.account is not None:
            db.add(EventRole(event_id=event.id or 0, account_id=actor.account_id or 0, role=Role.organiser))
        db.add(new_event_settings(event.id or 0))
    else:
        for name, (_old, new) in plan.event_changes.items():
            setattr(event, name, new)
        event.version += 1
        db.add(event)
    try:
        await _write(db, event, plan)
    except IntegrityError:  # two sessions trading codes, or a slug the file gives twice after matching by name
        await db.rollback()
        raise Conflict(_("The file's codes or slugs clash with the event's in a way Podium cannot apply.")) from None
    record(
        db,
        actor=actor,
        event=event,
        action=action,
        target_type="event",
        target_id=event.id,
        target_label=label or event.title,
        after=plan.counts() if action == "import.apply" else _single_change(plan),
        actor_label=actor_label,
    )
    await db.commit()
    return event, plan


def _single_change(plan: ImportPlan) -> dict[str, Any]:
    return {
        "new": [c.key for c in plan.new],
        "changed": {c.key: list(c.fields) for c in plan.changed},
        "removed": [c.key for c in plan.removed],
    }


async def _write_kinds(db: AsyncSession, event_id: int, wanted: WantedSchedule) -> None:
    """The kinds a Podium file lists become the event's (the built-in six when the file lists none, for a new
    event); every kind a session of the file uses exists afterwards (a frab type maps to a built-in kind, which
    an organiser may have deleted: it comes back, behaving as itself)."""
    existing = {kind.slug: kind for kind in await event_kinds(db, event_id=event_id)}
    if wanted.kinds is not None:
        listed = [EventSessionKind(event_id=event_id, position=i, **kind) for i, kind in enumerate(wanted.kinds)]
    elif not existing:
        listed = default_kinds(event_id)
    else:
        listed = []
    for kind in listed:
        row = existing.get(kind.slug)
        if row is None:
            db.add(kind)
            existing[kind.slug] = kind
        else:
            row.name, row.color, row.behaviour, row.position = kind.name, kind.color, kind.behaviour, kind.position
            db.add(row)
    position = len(existing)
    for session in wanted.sessions:
        if session.kind not in existing:
            builtin = session.kind in set(SessionKind)
            added = EventSessionKind(
                event_id=event_id,
                slug=session.kind,
                name=DEFAULT_NAMES[SessionKind(session.kind)] if builtin else session.kind,
                color="",
                behaviour=session.kind if builtin else SessionKind.parallel.value,
                position=position,
            )
            db.add(added)
            existing[session.kind], position = added, position + 1


async def _write(db: AsyncSession, event: Event, plan: ImportPlan) -> None:
    wanted, event_id = plan.wanted, event.id or 0
    await _write_kinds(db, event_id, wanted)
    rows: dict[str, dict[str, Any]] = {}
    for kind, table, entries, matched in (
        ("room", Room, wanted.rooms, plan.rooms),
        ("track", Track, wanted.tracks, plan.tracks),
        ("person", Person, wanted.people, plan.people),
    ):
        rows[kind] = {}
        for position, entry in enumerate(entries):
            row = matched.get(entry["slug"])
            values = {key: value for key, value in entry.items() if key != "slug" or row is None}
            if row is None:
                row = table(event_id=event_id, **values)
                if kind in ("room", "track"):
                    _avoid_slug_clash(row, plan.doomed[kind])
            else:
                for key, value in values.items():
                    setattr(row, key, value)
            row.position = position
            db.add(row)
            rows[kind][entry["slug"]] = row
    for row in plan.doomed["session"]:
        await db.delete(row)
    await db.flush()
    await _write_sessions(db, event_id, plan, rows)
    for kind in ("person", "track", "room"):
        for row in plan.doomed[kind]:
            await db.delete(row)
    await db.flush()


def _avoid_slug_clash(row: Any, doomed: list[Any]) -> None:
    """A new row may take the slug of one the import deletes: the old one is renamed out of the way first."""
    for old in doomed:
        if old.slug == row.slug:
            old.slug = f"x{old.id}"[:64]


async def _write_sessions(db: AsyncSession, event_id: int, plan: ImportPlan, rows: dict[str, dict[str, Any]]) -> None:
    def _id(row: Any) -> int:
        assert row.id is not None, "flushed rows have ids"
        return int(row.id)

    sessions: list[tuple[Session, WantedSession]] = []
    for position, entry in enumerate(plan.wanted.sessions):
        values: dict[str, Any] = {
            "code": entry.code,
            "title": entry.title,
            "abstract": entry.abstract,
            "kind": entry.kind,
            "start": entry.start,
            "end": entry.end,
            "language": entry.language,
            "room_id": _id(rows["room"][entry.room]),
            "track_id": _id(rows["track"][entry.track]) if entry.track is not None else None,
            "position": position,
        }
        if entry.translations is not None:
            values["translations"] = entry.translations
        row = plan.sessions.get(entry.code)
        if row is None:
            row = Session(event_id=event_id, guid=plan.guids[entry.code], **values)
        else:
            for key, value in values.items():
                setattr(row, key, value)
        db.add(row)
        sessions.append((row, entry))
    await db.flush()
    changed_ids = [_id(row) for row, _entry in sessions]
    if changed_ids:
        await db.exec(delete(SessionSpeaker).where(col(SessionSpeaker.session_id).in_(changed_ids)))
    db.add_all(
        SessionSpeaker(session_id=_id(row), person_id=_id(rows["person"][slug]), position=position)
        for row, entry in sessions
        for position, slug in enumerate(entry.speakers)
    )
    await db.flush()
