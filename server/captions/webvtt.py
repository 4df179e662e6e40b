"""A session's captions in one language as a WebVTT file (W3C WebVTT), for the replay.

Cue times count from the session's origin: its scheduled start, or its first caption line in any language when
that came earlier (a session that began early), so every language's file shares one clock and no time is negative.
A cue lasts until the next line, at most ``LONGEST`` and at least ``SHORTEST``; the last one ``LAST``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

SHORTEST = dt.timedelta(seconds=1)
LONGEST = dt.timedelta(seconds=7)
LAST = dt.timedelta(seconds=4)


@dataclass(frozen=True, slots=True)
class Cue:
    seq: int
    text: str
    said_at: dt.datetime


def escaped(text: str) -> str:
    """Cue text as text: ``&``, ``<`` and ``>`` as character references, and never ``-->`` (a cue timing)."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return " ".join(text.split())  # one line: a blank line would end the cue


def timestamp(offset: dt.timedelta) -> str:
    """hh:mm:ss.ttt, hours growing past 99 if need be."""
    millis = max(0, round(offset.total_seconds() * 1000))
    seconds, millis = divmod(millis, 1000)
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}.{millis:03d}"


def webvtt(cues: Sequence[Cue], *, origin: dt.datetime, language: str) -> str:
    """The file: a header naming the origin (UTC) and language, then one cue per line, in ``seq`` order."""
    lines = [
        "WEBVTT",
        "",
        f"NOTE language {language}; cue times count from {origin.astimezone(dt.UTC).isoformat()}",
        "",
    ]
    ordered = sorted(cues, key=lambda cue: cue.seq)
    previous_start = dt.timedelta(0)
    for index, cue in enumerate(ordered):
        start = max(cue.said_at - origin, previous_start)  # cue start times never go backwards
        following = ordered[index + 1].said_at - origin if index + 1 < len(ordered) else None
        length = LAST if following is None else min(max(following - start, SHORTEST), LONGEST)
        end = start + length
        previous_start = start
        lines += [str(cue.seq), f"{timestamp(start)} --> {timestamp(end)}", escaped(cue.text), ""]
    return "\n".join(lines)
