"""What the replay player shows beside the recording: its chapters and its captions, on the replay's own clock.

A moment of the session (a question put on the room screen, a poll opened, a caption line) happened on the wall
clock; the replay joins the relay's segments, and ``Replay.timeline`` says where each one starts on both clocks.
A moment inside a segment lands at that segment's offset plus the time since its start; a moment in a gap (the
publisher dropped and came back) lands where the next segment starts; a moment before the first segment lands at
the start, and one after the recording's end is not in the replay."""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.captions.models import CaptionLine, CaptionTrack
from server.captions.webvtt import Cue, escaped, timestamp, webvtt
from server.events.models import Event
from server.i18n import gettext as _
from server.live.models import Poll, PollStatus, Question, QuestionStatus, RoomLog
from server.replays.models import Replay

MAX_CHAPTERS = 500  # a long session's chapter list stays a list


@dataclass(frozen=True, slots=True)
class Chapter:
    start: float  # seconds into the replay
    end: float
    kind: str  # "question" or "poll"
    title: str


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def replay_offset(
    timeline: Sequence[dict[str, Any]], moment: dt.datetime, *, duration: float, before_start: float | None = 0.0
) -> float | None:
    """Where ``moment`` (wall clock) is in the replay, in seconds; ``before_start`` for a moment before the
    recording began (``None``: not in the replay); ``None`` for a moment after its end."""
    marks = sorted(
        ((int(mark["wall_ms"]), float(mark["offset"])) for mark in timeline if "wall_ms" in mark), key=lambda m: m[0]
    )
    if not marks:
        return None
    wall_ms = _aware(moment).timestamp() * 1000
    if wall_ms < marks[0][0]:
        return before_start
    offset = 0.0
    for index, (start_ms, start_offset) in enumerate(marks):
        if wall_ms < start_ms:
            break
        offset = start_offset + (wall_ms - start_ms) / 1000
        if index + 1 < len(marks):
            offset = min(offset, marks[index + 1][1])  # in the gap before the next segment: where it starts
    if offset > duration:
        return None
    return round(offset, 3)


def _length(replay: Replay) -> float:
    """The replay's duration; unknown (a file whose header did not say): no moment is past its end."""
    return replay.duration_seconds if replay.duration_seconds is not None else math.inf


async def replay_chapters(db: AsyncSession, *, session_id: int, replay: Replay) -> list[Chapter]:
    """A chapter where a question went on the room screen and where a poll opened, from the room's log, in order.
    A question since rejected or hidden, or a poll since deleted, is left out; their texts are as they are now."""
    rows = await db.exec(
        select(RoomLog.kind, RoomLog.data, RoomLog.created_at)
        .where(RoomLog.session_id == session_id, col(RoomLog.kind).in_(("room", "poll")))
        .order_by(col(RoomLog.seq))
    )
    moments: list[tuple[dt.datetime, str, int]] = []
    highlighted: int | None = None
    poll_states: dict[int, str] = {}
    for kind, data, created_at in rows.all():
        entry = json.loads(data)
        if kind == "room":
            shown = (entry.get("highlighted") or {}).get("id")
            if shown is not None and shown != highlighted:
                moments.append((created_at, "question", int(shown)))
            highlighted = shown
        else:
            poll_id, status = int(entry["id"]), str(entry.get("status", ""))
            if status == PollStatus.open and poll_states.get(poll_id) != PollStatus.open:
                moments.append((created_at, "poll", poll_id))
            poll_states[poll_id] = status
    questions = await _texts(db, Question, session_id, {ref for _at, kind, ref in moments if kind == "question"})
    polls = await _texts(db, Poll, session_id, {ref for _at, kind, ref in moments if kind == "poll"})
    duration = _length(replay)
    starts: list[tuple[float, str, str]] = []
    for at, kind, ref in moments:
        text = (questions if kind == "question" else polls).get(ref)
        offset = replay_offset(replay.timeline, at, duration=duration)
        if text is None or offset is None:
            continue
        title = _("Question: %(text)s") % {"text": text} if kind == "question" else _("Poll: %(text)s") % {"text": text}
        starts.append((offset, kind, title))
    starts = starts[:MAX_CHAPTERS]
    return [
        Chapter(
            start=start,
            end=starts[index + 1][0] if index + 1 < len(starts) else (duration if math.isfinite(duration) else start),
            kind=kind,
            title=title,
        )
        for index, (start, kind, title) in enumerate(starts)
    ]


async def _texts(
    db: AsyncSession, table: type[Question] | type[Poll], session_id: int, ids: set[int]
) -> dict[int, str]:
    """Question or poll texts by id, of this session only; rejected, hidden and merged questions left out."""
    if not ids:
        return {}
    if table is Question:
        found = await db.exec(
            select(Question.id, Question.text).where(
                Question.session_id == session_id,
                col(Question.id).in_(ids),
                Question.status == QuestionStatus.approved,
            )
        )
    else:
        found = await db.exec(
            select(Poll.id, Poll.question).where(Poll.session_id == session_id, col(Poll.id).in_(ids))
        )
    return {int(ref or 0): str(text) for ref, text in found.all()}


def chapters_webvtt(chapters: Sequence[Chapter]) -> str:
    """The chapters as a WebVTT file for ``<track kind="chapters">``; a cue lasts at least a millisecond."""
    lines = ["WEBVTT", ""]
    for number, chapter in enumerate(chapters, start=1):
        end = max(chapter.end, chapter.start + 0.001)
        lines += [
            str(number),
            f"{timestamp(dt.timedelta(seconds=chapter.start))} --> {timestamp(dt.timedelta(seconds=end))}",
            escaped(chapter.title),
            "",
        ]
    return "\n".join(lines)


async def replay_caption_languages(db: AsyncSession, *, event: Event, session_id: int) -> list[str]:
    """The languages the session has caption lines in, in the event's order."""
    kept = await db.exec(
        select(CaptionTrack.language).where(CaptionTrack.session_id == session_id, col(CaptionTrack.seq) > 0)
    )
    languages = set(kept.all())
    return [language for language in event.language_list if language in languages]


async def replay_captions_webvtt(db: AsyncSession, *, session_id: int, replay: Replay, language: str) -> str:
    """The session's captions in one language on the replay's clock (server/captions/webvtt.py writes the file):
    cue times count from the first segment's start; lines said before the recording began or after it ended are
    not in the replay."""
    rows = await db.exec(
        select(CaptionLine)
        .where(CaptionLine.session_id == session_id, CaptionLine.language == language)
        .order_by(col(CaptionLine.seq))
    )
    walls = [int(mark["wall_ms"]) for mark in replay.timeline if "wall_ms" in mark]
    origin = dt.datetime.fromtimestamp(min(walls) / 1000, tz=dt.UTC) if walls else dt.datetime.fromtimestamp(0, dt.UTC)
    duration = _length(replay)
    cues: list[Cue] = []
    for line in rows.all():
        offset = replay_offset(replay.timeline, line.said_at, duration=duration, before_start=None)
        if offset is not None:
            cues.append(Cue(seq=line.seq, text=line.text, said_at=origin + dt.timedelta(seconds=offset)))
    return webvtt(cues, origin=origin, language=language)
