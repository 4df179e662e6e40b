"""A session's replay: made from the relay's floor segments once the session is over, remade when newer segments
appear, and deleted with the recording.

Every app process runs ``ReplayBuilder.tick`` in the scheduler loop; a replay to make is claimed by one of them
with a conditional write (an INSERT that does nothing on conflict, or an UPDATE that names the row's state as it
was read), as server/streams/recordings.py claims scheduled playbacks. The file is joined in a thread under a new
name and the row switched to it in one commit, so a viewer never gets half a file.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import secrets
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from server.accounts.actors import Actor
from server.agenda.models import Session
from server.audit.services import record
from server.clock import utcnow
from server.db import Database, begin_write
from server.errors import Conflict, NotFound
from server.events.models import Event
from server.i18n import gettext as _
from server.i18n import ngettext
from server.permissions import require
from server.replays.assemble import CONTENT_TYPES, NothingToJoin, join_segments
from server.replays.models import Replay, ReplayState
from server.replays.rules import can_manage_replay
from server.streams.channels import floor_key
from server.streams.recording_files import (
    RecorderState,
    Segment,
    read_status,
    recording_dir,
    recordings_root,
    segments,
)

log = logging.getLogger(__name__)

REPLAYS = "replays"
QUIET_SECONDS = 10  # the newest segment must be this old before a replay is made from it (the relay may go on)
STALE_PROCESSING = dt.timedelta(minutes=30)  # a claim older than this was left by a process that died
WRITING_SECONDS = 30  # a ``.part`` file touched this recently: the relay is writing the recording now


def replays_dir(media_dir: Path) -> Path:
    return media_dir / REPLAYS


def replay_path(media_dir: Path, replay: Replay) -> Path | None:
    """The replay's file, when it has one."""
    return replays_dir(media_dir) / replay.stored_name if replay.stored_name else None


@dataclass(frozen=True)
class RecordingOnDisk:
    """What the relay left for a session, for the organiser's page."""

    status: dict[str, object] | None  # the floor folder's ``status.json`` (``read_status``)
    segments: int  # complete and ``.part``, every stream key of the session
    size_bytes: int
    newest_ms: int  # the newest floor segment's start, 0 when none
    writing: bool  # a ``.part`` file was written to within ``WRITING_SECONDS``

    @property
    def disk_full(self) -> bool:
        return bool(self.status and self.status.get("state") == RecorderState.disk_full)


def session_folders(media_dir: Path, session_id: int) -> list[Path]:
    """The session's recording folders: the floor's ("12") and each channel's ("12_ja")."""
    root = recordings_root(media_dir)
    floor = floor_key(session_id)
    try:
        names = [entry.name for entry in os.scandir(root) if entry.is_dir()]
    except FileNotFoundError:
        return []
    return [root / name for name in sorted(names) if name == floor or name.startswith(f"{floor}_")]


def recording_on_disk(media_dir: Path, session_id: int, *, now: dt.datetime | None = None) -> RecordingOnDisk:
    """The session's segments, their size and the relay's status (blocking: a few directory reads)."""
    moment = (now or utcnow()).timestamp()
    count = size = 0
    writing = False
    for folder in session_folders(media_dir, session_id):
        for segment in segments(folder):
            try:
                stat = segment.path.stat()
            except FileNotFoundError:
                continue
            count += 1
            size += stat.st_size
            writing = writing or (not segment.complete and moment - stat.st_mtime < WRITING_SECONDS)
    floor = recording_dir(media_dir, floor_key(session_id))
    found = segments(floor)
    return RecordingOnDisk(
        status=read_status(floor),
        segments=count,
        size_bytes=size,
        newest_ms=found[-1].start_ms if found else 0,
        writing=writing,
    )


async def replay_of(db: AsyncSession, *, event: Event, session_id: int) -> Replay | None:
    replay = await db.get(Replay, session_id, populate_existing=True)
    return replay if replay is not None and replay.event_id == event.id else None


async def _session(db: AsyncSession, *, event: Event, session_id: int) -> Session:
    session = await db.get(Session, session_id)
    if session is None or session.event_id != event.id:
        raise NotFound(_("There is no such session."))
    return session


# Claiming


async def claim_replay(
    db: AsyncSession, *, session_id: int, event_id: int, now: dt.datetime, newest_ms: int | None = None
) -> bool:
    """Mark the session's replay as being made by this process; False when another process has it, or (given
    ``newest_ms``, the newest segment the caller saw) when another process made it from that segment meanwhile."""
    dialect = db.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    await begin_write(db)
    inserted = await db.exec(
        insert(Replay)
        .values(
            session_id=session_id,
            event_id=event_id,
            state=ReplayState.processing,
            timeline=[],
            last_segment_ms=0,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=["session_id"])
    )
    if inserted.rowcount == 1:
        await db.commit()
        return True
    row = (await db.exec(select(Replay).where(Replay.session_id == session_id))).one()
    busy = row.state == ReplayState.processing and row.updated_at and now - _aware(row.updated_at) < STALE_PROCESSING
    made_meanwhile = row.state != ReplayState.processing and newest_ms is not None and row.last_segment_ms >= newest_ms
    if busy or made_meanwhile:
        await db.rollback()
        return False
    claimed = await db.exec(
        update(Replay)
        .where(
            col(Replay.session_id) == session_id,
            col(Replay.state) == row.state,
            col(Replay.updated_at) == row.updated_at if row.updated_at else col(Replay.updated_at).is_(None),
        )
        .values(state=ReplayState.processing, updated_at=now)
    )
    await db.commit()
    return bool(claimed.rowcount == 1)


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


async def claim_due(db: AsyncSession, *, media_dir: Path, now: dt.datetime | None = None) -> list[int]:
    """The sessions whose replay this process must make now: ended, with floor segments none newer than
    ``QUIET_SECONDS``, and no replay yet or one made before the newest segment."""
    moment = now or utcnow()
    root = recordings_root(media_dir)
    try:
        keys = [entry.name for entry in os.scandir(root) if entry.is_dir() and entry.name.isdigit()]
    except FileNotFoundError:
        return []
    if not keys:
        return []
    ids = [int(key) for key in keys if len(key) < 12]
    ended = (
        await db.exec(select(Session.id, Session.event_id).where(col(Session.id).in_(ids), Session.end < moment))
    ).all()
    made = {
        replay.session_id: replay
        for replay in (await db.exec(select(Replay).where(col(Replay.session_id).in_([row[0] for row in ended])))).all()
    }
    await db.commit()
    claimed = []
    for session_id, event_id in ended:
        found = segments(recording_dir(media_dir, floor_key(session_id or 0)))
        if not found or moment.timestamp() * 1000 - found[-1].start_ms < QUIET_SECONDS * 1000:
            continue
        if any(not segment.complete for segment in found[-1:]) and _recently_written(found[-1], moment):
            continue
        replay = made.get(session_id or 0)
        if replay is not None and replay.last_segment_ms >= found[-1].start_ms:
            continue
        if await claim_replay(
            db, session_id=session_id or 0, event_id=event_id, now=moment, newest_ms=found[-1].start_ms
        ):
            claimed.append(session_id or 0)
    return claimed


def _recently_written(segment: Segment, moment: dt.datetime) -> bool:
    try:
        return moment.timestamp() - segment.path.stat().st_mtime < QUIET_SECONDS
    except FileNotFoundError:
        return False


# Making


async def build(database: Database, *, session_id: int, media_dir: Path) -> Replay | None:
    """Join the session's floor segments into a new file and switch the (claimed) row to it; the old file goes.
    None when the row was deleted meanwhile (the organiser deleted the recording): the new file goes too."""
    found = segments(recording_dir(media_dir, floor_key(session_id)))
    folder = replays_dir(media_dir)
    folder.mkdir(parents=True, exist_ok=True)
    ext = found[0].ext if found else "webm"
    name = f"s{session_id}-{secrets.token_hex(8)}.{ext}"
    target = folder / name
    try:
        joined = await asyncio.to_thread(join_segments, found, target)
        problem = ""
    except NothingToJoin:
        joined, problem = None, _("No part of the recording could be read.")
    except Exception as exc:  # a replay that cannot be made is reported to the organiser, never retried blindly
        log.exception("replay of session %s failed", session_id)
        target.unlink(missing_ok=True)
        joined, problem = None, _("The replay could not be made: %(reason)s") % {"reason": str(exc)[:200]}
    old = ""
    async with database.session() as db:
        await begin_write(db)
        replay = (await db.exec(select(Replay).where(Replay.session_id == session_id))).first()
        if replay is None:
            await db.rollback()
            target.unlink(missing_ok=True)
            return None
        replay.updated_at = utcnow()
        if joined is None:
            replay.state = ReplayState.failed
            replay.message = problem
            replay.last_segment_ms = max((segment.start_ms for segment in found), default=0)
        else:
            old = replay.stored_name or ""
            replay.state = ReplayState.ready
            replay.stored_name = name
            replay.content_type = CONTENT_TYPES[joined.ext]
            replay.duration_seconds = joined.duration_seconds
            replay.size_bytes = joined.size_bytes
            replay.timeline = joined.timeline
            replay.last_segment_ms = joined.last_segment_ms
            replay.message = (
                ngettext(
                    "%(count)s part of the recording could not be read and was left out.",
                    "%(count)s parts of the recording could not be read and were left out.",
                    joined.skipped,
                )
                % {"count": joined.skipped}
                if joined.skipped
                else ""
            )
        db.add(replay)
        await db.commit()
        await db.refresh(replay)
    if old and old != name:
        (folder / old).unlink(missing_ok=True)
    return replay


async def make_now(
    db: AsyncSession, *, actor: Actor, event: Event, session_id: int, media_dir: Path, now: dt.datetime | None = None
) -> bool:
    """The organiser's "Make the replay now": claims the replay whatever the time (the caller then runs ``build``).
    Conflict when there is nothing recorded; False when a replay is being made already."""
    require(actor, can_manage_replay)
    session = await _session(db, event=event, session_id=session_id)
    if not segments(recording_dir(media_dir, floor_key(session_id))):
        raise Conflict(_("Nothing was recorded for this session yet."))
    claimed = await claim_replay(db, session_id=session_id, event_id=event.id or 0, now=now or utcnow())
    if claimed:
        await begin_write(db)
        record(
            db,
            actor=actor,
            event=event,
            action="replay.make",
            target_type="session",
            target_id=session_id,
            target_label=session.title,
        )
        await db.commit()
    return claimed


async def delete_recording(
    db: AsyncSession, *, actor: Actor, event: Event, session_id: int, media_dir: Path, now: dt.datetime | None = None
) -> int:
    """Delete what the relay recorded for the session (every stream key's segments) and its replay; how many
    files went. Conflict while the relay is writing the recording (turn recording off or stop the stream first)."""
    require(actor, can_manage_replay)
    session = await _session(db, event=event, session_id=session_id)
    on_disk = await asyncio.to_thread(recording_on_disk, media_dir, session_id, now=now)
    if on_disk.writing:
        raise Conflict(_("The relay is recording this session now. Turn recording off first, then delete."))
    await begin_write(db)
    replay = (await db.exec(select(Replay).where(Replay.session_id == session_id))).first()
    stored = replay.stored_name if replay is not None else None
    if replay is not None:
        await db.delete(replay)
    record(
        db,
        actor=actor,
        event=event,
        action="recording.delete",
        target_type="session",
        target_id=session_id,
        target_label=session.title,
    )
    await db.commit()
    removed = 0
    for folder in session_folders(media_dir, session_id):
        removed += sum(1 for _segment in segments(folder))
        await asyncio.to_thread(shutil.rmtree, folder, True)
    if stored:
        (replays_dir(media_dir) / stored).unlink(missing_ok=True)
        removed += 1
    return removed


class ReplayBuilder:
    """The scheduler loop's part for replays: claim what is due, make it (one at a time per process)."""

    def __init__(self, database: Database, media_dir: Callable[[], Path]) -> None:
        self.database = database
        self.media_dir = media_dir

    async def tick(self, now: dt.datetime | None = None) -> list[int]:
        """The sessions whose replay this process made in this tick."""
        media_dir = self.media_dir()
        async with self.database.session() as db:
            claimed = await claim_due(db, media_dir=media_dir, now=now)
        for session_id in claimed:
            replay = await build(self.database, session_id=session_id, media_dir=media_dir)
            log.info("replay of session %s: %s", session_id, replay.state if replay else "deleted meanwhile")
        return claimed
