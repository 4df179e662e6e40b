"""The replay's clock: a moment of the session finds its place in the replay through ``Replay.timeline``; the
chapters file is WebVTT a browser reads."""

from __future__ import annotations

import datetime as dt

import pytest

from server.replays.player import Chapter, chapters_webvtt, replay_offset

pytestmark = pytest.mark.unit

START = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)
MS = int(START.timestamp() * 1000)
# Two segments: the first 60 s of the session, then (the publisher dropped for 30 s) the next ones from 90 s on.
TIMELINE = [{"wall_ms": MS, "offset": 0.0}, {"wall_ms": MS + 90_000, "offset": 60.0}]


def at(seconds: float) -> dt.datetime:
    return START + dt.timedelta(seconds=seconds)


def test_a_moment_inside_a_segment_is_its_start_plus_the_time_since() -> None:
    assert replay_offset(TIMELINE, at(12.5), duration=120) == 12.5
    assert replay_offset(TIMELINE, at(100), duration=120) == 70.0


def test_a_moment_in_a_gap_lands_where_the_next_segment_starts() -> None:
    assert replay_offset(TIMELINE, at(75), duration=120) == 60.0


def test_a_moment_before_the_recording_is_at_the_start_or_left_out() -> None:
    assert replay_offset(TIMELINE, at(-30), duration=120) == 0.0
    assert replay_offset(TIMELINE, at(-30), duration=120, before_start=None) is None


def test_a_moment_after_the_end_is_not_in_the_replay() -> None:
    assert replay_offset(TIMELINE, at(90 + 61), duration=120) is None


def test_a_naive_moment_is_utc_and_the_timeline_order_does_not_matter() -> None:
    naive = at(95).replace(tzinfo=None)
    assert replay_offset(list(reversed(TIMELINE)), naive, duration=120) == 65.0


def test_no_timeline_places_nothing() -> None:
    assert replay_offset([], at(1), duration=120) is None


def test_chapters_file_escapes_titles_and_never_has_an_empty_cue() -> None:
    chapters = [
        Chapter(start=0.0, end=10.0, kind="poll", title="Poll: Which day?"),
        Chapter(start=10.0, end=10.0, kind="question", title="Question: <b>A & B</b> --> next"),
    ]

    assert chapters_webvtt(chapters) == (
        "WEBVTT\n\n"
        "1\n00:00:00.000 --> 00:00:10.000\nPoll: Which day?\n\n"
        "2\n00:00:10.000 --> 00:00:10.001\nQuestion: &lt;b&gt;A &amp; B&lt;/b&gt; --&gt; next\n"
    )


def test_an_unknown_duration_leaves_no_moment_out() -> None:
    assert replay_offset(TIMELINE, at(3600), duration=float("inf")) == 3570.0
