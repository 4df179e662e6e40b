"""Pre-recorded video addresses: organisers upload one per session and say when it plays; moderators press play.

Files live in the media folder (``Settings.media_dir``) under a name of Podium's own (``stored_name``), which is
all a relay process is told: it opens the same folder. Starting a playback is claimed with a conditional UPDATE
(``started_at IS NULL``), so of several app processes exactly one starts a scheduled recording.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import enum
import re
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import av
from sqlmodel import col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from server.accounts.actors import Actor
from server.agenda.models import Session
from server.clock import utcnow
from server.db import begin_write
from server.errors import InvalidInput, NotFound
from server.events.models import Event
from server.i18n import gettext as _
from server.permissions import require
from server.streams.models import Recording
from server.streams.rules import can_play_recording, can_upload_recording
from server.years import YEARS

MISSED_AFTER = dt.timedelta(minutes=15)  # a scheduled start missed by longer (every app process was down) is skipped
INCOMING_PREFIX = ".incoming-"  # uploads being written; never a stored name
SUFFIX = re.compile(r"^\.[a-z0-9]{1,8}$")


class PlayWhen(enum.StrEnum):
    start = "start"  # at the session's start
    at = "at"  # at another time
    manual = "manual"  # only when a moderator presses play


@dataclass(frozen=True)
class Upload:
    """A file the transport wrote into the media folder under an ``.incoming-`` name."""

    path: Path
    filename: str
    size: int


def out_of_years_message() -> str:
    return _("Please give a time in the years %(first)s to %(last)s.") % {"first": YEARS[0], "last": YEARS[-1]}


def incoming_path(media_dir: Path) -> Path:
    media_dir.mkdir(parents=True, exist_ok=True)
    return media_dir / f"{INCOMING_PREFIX}{secrets.token_hex(8)}"


def discard(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink(missing_ok=True)


def probe_video(path: Path) -> float | None:
    """The video's duration in seconds; InvalidInput when PyAV finds no video stream in it (blocking)."""
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise InvalidInput(_("This file has no video in it."))
            return round(container.duration / av.time_base, 3) if container.duration else None
    except av.FFmpegError:
        raise InvalidInput(_("This file is not a video Podium can read.")) from None


def _stored_name(session_id: int, filename: str) -> str:
    suffix = Path(filename).suffix.lower()
    return f"s{session_id}-{secrets.token_hex(8)}{suffix if SUFFIX.fullmatch(suffix) else ''}"


def _clean_filename(filename: str) -> str:
    shown = "".join(char if char.isprintable() else " " for char in filename)  # no NUL, controls or surrogates
    name = " ".join(Path(shown.replace("\\", "/")).name.split())[:200]
    return name or "video"


async def _session(db: AsyncSession, *, event: Event, session_id: int) -> Session:
    session = await db.get(Session, session_id)
    if session is None or session.event_id != event.id:
        raise NotFound(_("There is no such session."))
    return session


async def recording_of(db: AsyncSession, *, event: Event, session_id: int) -> Recording | None:
    return (
        await db.exec(select(Recording).where(Recording.session_id == session_id, Recording.event_id == event.id))
    ).first()


async def store_recording(
    db: AsyncSession, *, actor: Actor, event: Event, session_id: int, upload: Upload, media_dir: Path
) -> Recording:
    """Keep an uploaded video as the session's recording, replacing the one before (and its file).

    The upload's file is moved into place or removed: a refused upload leaves nothing behind."""
    try:
        require(actor, can_upload_recording)
        session = await _session(db, event=event, session_id=session_id)
        if upload.size == 0:
            raise InvalidInput(_("Please choose a video file to upload."))
        duration = await asyncio.to_thread(probe_video, upload.path)
        stored_name = _stored_name(session_id, upload.filename)
        upload.path.rename(media_dir / stored_name)
    except BaseException:
        discard(upload.path)
        raise
    replaced = ""
    try:
        await begin_write(db)
        recording = await recording_of(db, event=event, session_id=session_id)
        if recording is None:
            recording = Recording(event_id=event.id or 0, session_id=session_id, filename="", stored_name="")
            recording.play_at = session.start
        replaced = recording.stored_name
        recording.filename = _clean_filename(upload.filename)
        recording.stored_name = stored_name
        recording.size_bytes = upload.size
        recording.duration_seconds = duration
        recording.uploaded_at = utcnow()
        recording.uploaded_by = actor.account.id if actor.account else None
        recording.started_at = None  # a new file plays at its time, even if the one before already did
        db.add(recording)
        await db.commit()
    except BaseException:
        discard(media_dir / stored_name)
        raise
    if replaced:
        discard(media_dir / replaced)
    await db.refresh(recording)
    return recording


async def delete_recording(db: AsyncSession, *, actor: Actor, event: Event, session_id: int, media_dir: Path) -> None:
    require(actor, can_upload_recording)
    await _session(db, event=event, session_id=session_id)
    await begin_write(db)
    recording = await recording_of(db, event=event, session_id=session_id)
    if recording is None:
        raise NotFound(_("This session has no recording."))
    stored_name = recording.stored_name
    await db.delete(recording)
    await db.commit()
    discard(media_dir / stored_name)


async def schedule_recording(
    db: AsyncSession,
    *,
    actor: Actor,
    event: Event,
    session_id: int,
    when: str,
    at: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> Recording:
    """When the recording plays: at the session's start, at ``at``, or only when a moderator presses play."""
    require(actor, can_upload_recording)
    session = await _session(db, event=event, session_id=session_id)
    try:
        choice = PlayWhen(when)
    except ValueError:
        raise InvalidInput(_("Please choose when the recording plays.")) from None
    if choice is PlayWhen.at:
        if at is None:
            raise InvalidInput(_("Please give the time the recording plays."))
        if at < (now or utcnow()) - dt.timedelta(minutes=1):
            raise InvalidInput(_("That time has passed. Please give a time to come."))
        if at.year not in YEARS:
            raise InvalidInput(out_of_years_message())
    await begin_write(db)
    recording = await recording_of(db, event=event, session_id=session_id)
    if recording is None:
        raise NotFound(_("This session has no recording."))
    recording.play_at = {PlayWhen.start: session.start, PlayWhen.at: at, PlayWhen.manual: None}[choice]
    recording.started_at = None  # a new time plays again
    db.add(recording)
    await db.commit()
    await db.refresh(recording)
    return recording


async def start_now(
    db: AsyncSession, *, actor: Actor, event: Event, session_id: int, play: Callable[[Recording], Awaitable[object]]
) -> Recording:
    """A moderator's or organiser's Play: ``play`` asks the relay first, and only a recording it started is marked
    started (so no schedule starts it again). A refused Play (already playing, a file the relay cannot open, the
    relay away) raises before anything is written."""
    require(actor, can_play_recording)
    await _session(db, event=event, session_id=session_id)
    recording = await recording_of(db, event=event, session_id=session_id)
    if recording is None:
        raise NotFound(_("This session has no recording."))
    await db.commit()  # end the read: the relay may take a while to answer
    await play(recording)
    started_at = utcnow()
    await begin_write(db)
    marked = await db.exec(update(Recording).where(col(Recording.id) == recording.id).values(started_at=started_at))
    await db.commit()
    if marked.rowcount != 1:  # deleted while the relay started it
        raise NotFound(_("This session has no recording."))
    await db.refresh(recording)
    return recording


async def claim_due(db: AsyncSession, *, now: dt.datetime | None = None) -> list[Recording]:
    """Recordings whose time has come, each claimed by this process alone (``started_at`` set where still NULL)."""
    now = now or utcnow()
    due = (
        await db.exec(
            select(Recording).where(
                col(Recording.started_at).is_(None),
                col(Recording.play_at) <= now,
                col(Recording.play_at) > now - MISSED_AFTER,
            )
        )
    ).all()
    await db.commit()  # end the read: each claim is a write transaction of its own
    claimed = []
    for recording in due:
        await begin_write(db)
        result = await db.exec(
            update(Recording)
            .where(col(Recording.id) == recording.id, col(Recording.started_at).is_(None))
            .values(started_at=now)
        )
        await db.commit()
        if result.rowcount == 1:
            claimed.append(recording)
    return claimed
