"""A session's captions as WebVTT, parsed back as a player would: the header, cues in order with increasing times
counted from the session's origin, and cue text that is text (no tags, no cue timing inside it)."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from server.captions.webvtt import Cue, timestamp, webvtt

pytestmark = pytest.mark.unit

ORIGIN = dt.datetime(2021, 10, 27, 1, 0, tzinfo=dt.UTC)
TIMING = re.compile(r"^(\d{2,}):(\d{2}):(\d{2})\.(\d{3}) --> (\d{2,}):(\d{2}):(\d{2})\.(\d{3})$")


def seconds(hours: str, minutes: str, secs: str, millis: str) -> float:
    return int(hours) * 3600 + int(minutes) * 60 + int(secs) + int(millis) / 1000


def parsed(text: str) -> tuple[list[str], list[tuple[str, float, float, str]]]:
    """The header block and the cues (identifier, start, end, text) of a WebVTT file."""
    blocks = text.strip("\n").split("\n\n")
    cues = []
    for block in blocks[1:]:
        lines = block.split("\n")
        if lines[0].startswith("NOTE"):
            continue
        identifier, timing, *payload = lines
        found = TIMING.match(timing)
        assert found, timing
        cues.append((identifier, seconds(*found.groups()[:4]), seconds(*found.groups()[4:]), "\n".join(payload)))
    return blocks[0].split("\n"), cues


def at(offset: float) -> dt.datetime:
    return ORIGIN + dt.timedelta(seconds=offset)


def test_webvtt_parses_back_with_increasing_times_and_escaped_text() -> None:
    cues = [
        Cue(seq=1, text="Good morning.", said_at=at(2.5)),
        Cue(seq=2, text="Tags <b>stay</b> text & so do --> arrows", said_at=at(4.0)),
        Cue(seq=3, text="A long pause follows.", said_at=at(10.0)),
        Cue(seq=4, text="After an hour", said_at=at(3600 + 61.25)),
    ]

    header, read = parsed(webvtt(cues, origin=ORIGIN, language="ja"))

    assert header == ["WEBVTT"]
    assert [cue[0] for cue in read] == ["1", "2", "3", "4"]
    assert [(start, end) for _, start, end, _ in read] == [(2.5, 4.0), (4.0, 10.0), (10.0, 17.0), (3661.25, 3665.25)]
    assert read[1][3] == "Tags &lt;b&gt;stay&lt;/b&gt; text &amp; so do --&gt; arrows"
    assert all("-->" not in text and "<" not in text for *_, text in read)


def test_cues_never_go_back_in_time_and_last_at_least_a_second() -> None:
    cues = [
        Cue(seq=1, text="first", said_at=at(5.0)),
        Cue(seq=2, text="kept a moment earlier by a slower clock", said_at=at(4.9)),
        Cue(seq=3, text="right after", said_at=at(5.2)),
    ]

    _, read = parsed(webvtt(cues, origin=ORIGIN, language="en"))

    starts = [start for _, start, _, _ in read]
    assert starts == sorted(starts)
    assert all(end - start >= 1.0 for _, start, end, _ in read)


def test_a_line_break_in_a_line_cannot_end_its_cue() -> None:
    _, read = parsed(webvtt([Cue(seq=1, text="one\n\ntwo", said_at=at(1))], origin=ORIGIN, language="en"))

    assert [text for *_, text in read] == ["one two"]


def test_timestamps_keep_counting_hours() -> None:
    assert timestamp(dt.timedelta(hours=101, milliseconds=7)) == "101:00:00.007"
    assert timestamp(dt.timedelta(seconds=-3)) == "00:00:00.000"
