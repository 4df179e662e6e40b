"""Join a stream key's recorded segments into one file: remuxed with PyAV, never re-encoded (blocking: run it in a
thread).

Each segment's timestamps are moved to follow the one before, so the joined file plays without a gap where the
publisher dropped and came back; ``timeline`` keeps where each segment starts on the wall clock and in the file,
so a moment of the session finds its place in the replay. A ``.part`` segment (the relay stopped while writing
it) is read up to its last whole packet; a segment that cannot be read at all is skipped.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import av

from server.streams.recording_files import Segment

log = logging.getLogger(__name__)

CONTENT_TYPES = {"webm": "video/webm", "mp4": "video/mp4"}
_READ_ERRORS = (av.FFmpegError, EOFError, OSError)


class NothingToJoin(Exception):
    """No segment held a packet that could be read."""


@dataclass
class Joined:
    ext: str  # "webm" or "mp4"
    duration_seconds: float
    size_bytes: int
    timeline: list[dict[str, Any]] = field(default_factory=list)  # [{"wall_ms", "offset"}] per joined segment
    last_segment_ms: int = 0  # the start of the newest segment looked at
    skipped: int = 0  # segments that could not be read or were of another container


def _kinds(container: Any) -> dict[str, Any]:
    """The segment's first video and first audio stream, by kind."""
    found: dict[str, Any] = {}
    for kind in ("video", "audio"):
        streams = getattr(container.streams, kind)
        if streams:
            found[kind] = streams[0]
    return found


def _templates(usable: list[Segment], first: dict[str, Any]) -> tuple[dict[str, Any], list[Any]]:
    """The output's streams: the first segment's, and a kind it lacks from the first later segment that has it
    (a recording whose first seconds had sound only still gets its picture); and the containers opened for them,
    which the caller closes once the output's streams are made."""
    templates = dict(first)
    opened: list[Any] = []
    for segment in usable:
        if len(templates) == 2:
            break
        try:
            container = av.open(str(segment.path))
        except _READ_ERRORS:
            continue
        opened.append(container)
        for kind, stream in _kinds(container).items():
            templates.setdefault(kind, stream)
    return templates, opened


def join_segments(found: list[Segment], target: Path) -> Joined:
    """Write ``found`` (in recorded order) into ``target``; NothingToJoin when no segment could be read.

    Only segments of the first readable segment's container are joined (a publisher who switched from VP8 to
    H.264 in the middle would need a transcode: the other kind is counted in ``skipped``)."""
    if not found:
        raise NothingToJoin("no segments")
    ext = found[0].ext
    usable = [segment for segment in found if segment.ext == ext]
    joined = Joined(ext=ext, duration_seconds=0.0, size_bytes=0, skipped=len(found) - len(usable))
    joined.last_segment_ms = max(segment.start_ms for segment in found)
    # Written to a seekable file, WebM gets its cues and duration (a browser seeks with them); MP4 its index first.
    options = {} if ext == "webm" else {"movflags": "+faststart"}
    output: Any = None
    outputs: dict[str, Any] = {}  # kind -> output stream
    bases: dict[str, Fraction] = {}  # kind -> the time base the timestamps are written in
    last_dts: dict[str, int] = {}  # kind -> the last written dts, in ``bases``
    end = 0.0  # seconds: where the next segment starts in the joined file
    try:
        for segment in usable:
            try:
                container: Any = av.open(str(segment.path))
            except _READ_ERRORS as exc:
                log.warning("replay: segment %s unreadable (%s), skipped", segment.path.name, exc)
                joined.skipped += 1
                continue
            with container:
                inputs = _kinds(container)
                if output is None:
                    if not inputs:
                        joined.skipped += 1
                        continue
                    output = av.open(str(target), "w", format="webm" if ext == "webm" else "mp4", options=options)
                    templates, opened = _templates(usable, inputs)
                    for kind, stream in templates.items():
                        outputs[kind] = output.add_stream_from_template(stream)
                        # WebM counts milliseconds; MP4 keeps the recording's own clock.
                        bases[kind] = Fraction(1, 1000) if ext == "webm" else stream.time_base
                    for other in opened:
                        other.close()
                first: float | None = None  # seconds: this segment's first timestamp
                segment_end = end
                wrote = False
                try:
                    for packet in container.demux(*[stream for kind, stream in inputs.items() if kind in outputs]):
                        if packet.dts is None or packet.pts is None or packet.size == 0:
                            continue
                        kind = packet.stream.type
                        out = outputs[kind]
                        seconds = float(packet.pts * packet.time_base)
                        if first is None:
                            first = seconds
                        at = end + max(0.0, seconds - first)
                        dts_at = end + max(0.0, float(packet.dts * packet.time_base) - first)
                        duration = float(packet.duration * packet.time_base) if packet.duration else 0.0
                        base = bases[kind]
                        dts = round(dts_at / base)
                        if kind in last_dts and dts <= last_dts[kind]:
                            dts = last_dts[kind] + 1  # the muxer wants dts to rise within a stream
                        packet.stream = out
                        packet.time_base = base
                        packet.pts, packet.dts = max(round(at / base), dts), dts
                        output.mux(packet)
                        last_dts[kind] = dts
                        segment_end = max(segment_end, at + duration)
                        if not wrote:
                            joined.timeline.append({"wall_ms": segment.start_ms, "offset": round(end, 3)})
                            wrote = True
                except _READ_ERRORS as exc:  # a truncated ``.part`` ends here: what came before is kept
                    log.info("replay: segment %s ends early (%s)", segment.path.name, exc)
                if not wrote:
                    joined.skipped += 1
                    continue
                end = max(segment_end, end + 0.02)  # a last frame without a duration still gets a moment
        if output is None or not joined.timeline:
            raise NothingToJoin("no readable packets")
    except BaseException:
        if output is not None:
            with contextlib.suppress(*_READ_ERRORS, ValueError):
                output.close()
        target.unlink(missing_ok=True)
        raise
    output.close()
    joined.duration_seconds = round(end, 3)
    joined.size_bytes = target.stat().st_size
    return joined


def replay_offset(timeline: list[dict[str, Any]], wall_ms: int) -> float | None:
    """Where a wall-clock moment (Unix ms) is in the replay: None before the first segment. A moment between two
    segments (the stream was off) maps to the start of the next one."""
    offset: float | None = None
    for index, mark in enumerate(timeline):
        if wall_ms < mark["wall_ms"]:
            break
        offset = float(mark["offset"]) + (wall_ms - int(mark["wall_ms"])) / 1000
        if index + 1 < len(timeline):
            offset = min(offset, float(timeline[index + 1]["offset"]))
    return None if offset is None else round(offset, 3)
