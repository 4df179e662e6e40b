"""Where the relay writes a session's recording, and how the app reads it back: the one contract between them.

Each stream key (``server/streams/channels.py``: "12" for the floor, "12_ja" for a channel) has a folder under the
media folder's ``recordings``. The relay writes the stream there as it forwards it, in segments of a few seconds,
each a file that plays on its own (it starts with a keyframe): ``<start ms>-<number>.webm`` (VP8/Opus) or ``.mp4``
(an H.264 publisher's own packets). A segment is written under a ``.part`` suffix and renamed when it is closed,
so a crash leaves at most one ``.part`` file, which still plays up to its last written cluster. ``status.json``
says what the relay is doing with the folder (``RecorderState``) and why it stopped, for the organiser.
"""

from __future__ import annotations

import contextlib
import enum
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

RECORDINGS = "recordings"
STATUS_FILE = "status.json"
PART = ".part"
_SEGMENT = re.compile(r"^(?P<start>\d{13})-(?P<number>\d{6})\.(?P<ext>webm|mp4)(?P<part>\.part)?$")


class RecorderState(enum.StrEnum):
    recording = "recording"
    stopped = "stopped"  # the publisher left or the relay stopped the stream; the next publisher continues
    off = "off"  # the organiser turned recording off for the session
    disk_full = "disk_full"  # writing failed for lack of space: the stream goes on, the recording stopped
    failed = "failed"  # writing failed otherwise; ``message`` says how


@dataclass(frozen=True)
class Segment:
    path: Path
    start_ms: int  # the wall-clock time (Unix milliseconds) of the segment's first packet
    number: int  # counts up within one relay process's recording of the stream
    ext: str  # "webm" or "mp4"
    complete: bool  # False for a ``.part`` file: the relay was writing it when it stopped


def recordings_root(media_dir: Path) -> Path:
    return media_dir / RECORDINGS


def recording_dir(media_dir: Path, stream_key: str) -> Path:
    return recordings_root(media_dir) / stream_key


def segment_name(start_ms: int, number: int, ext: str) -> str:
    """The name of a segment being written; ``complete_name`` is the one it gets when closed."""
    return f"{start_ms:013d}-{number:06d}.{ext}{PART}"


def complete_name(part_name: str) -> str:
    return part_name.removesuffix(PART)


def segments(folder: Path) -> list[Segment]:
    """The folder's segments in the order they were recorded; nothing when the folder does not exist."""
    found: list[Segment] = []
    with contextlib.suppress(FileNotFoundError):
        for entry in os.scandir(folder):
            match = _SEGMENT.fullmatch(entry.name)
            if match and entry.is_file():
                found.append(
                    Segment(
                        path=Path(entry.path),
                        start_ms=int(match["start"]),
                        number=int(match["number"]),
                        ext=match["ext"],
                        complete=not match["part"],
                    )
                )
    return sorted(found, key=lambda segment: (segment.start_ms, segment.number))


def write_status(folder: Path, state: RecorderState, *, message: str = "", at_ms: int) -> None:
    """Replace the folder's status in one rename, so a reader never sees half of it."""
    folder.mkdir(parents=True, exist_ok=True)
    temporary = folder / f".{STATUS_FILE}.{os.getpid()}"
    temporary.write_text(json.dumps({"state": state.value, "message": message, "at_ms": at_ms}))
    temporary.replace(folder / STATUS_FILE)


def read_status(folder: Path) -> dict[str, Any] | None:
    """The relay's last word on the folder, or None when it never wrote one (or wrote nonsense)."""
    try:
        status = json.loads((folder / STATUS_FILE).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(status, dict) or status.get("state") not in set(RecorderState):
        return None
    return status
