"""Joining the relay's segments into one replay file: remuxed, continuous, a cut ``.part`` kept up to where it
was cut, and the wall clock mapped to the replay's time."""

from __future__ import annotations

from pathlib import Path

import av
import pytest

from server.replays.assemble import NothingToJoin, join_segments, replay_offset
from server.streams.recording_files import recording_dir, segments
from tests.support.replay_segments import decoded_seconds, record

pytestmark = pytest.mark.unit
START = 1_635_300_000_000  # a session's first packet, Unix ms


def test_segments_with_a_gap_and_a_cut_part_join_into_one_continuous_file(tmp_path: Path) -> None:
    # Two segments back to back, then the publisher came back 8 s later and the relay died writing the third.
    record(tmp_path, "12", [START, START + 2_000, START + 12_000], part_last=True)
    found = segments(recording_dir(tmp_path, "12"))
    target = tmp_path / "replay.webm"

    joined = join_segments(found, target)

    frames, last_frame, heard = decoded_seconds(target)
    assert [segment.complete for segment in found] == [True, True, False]
    assert joined.ext == "webm"
    assert joined.skipped == 0
    assert 40 < frames < 60  # 20 + 20 frames, and the part of the third that was written
    assert heard
    assert 4.0 < last_frame < 6.0  # no 8 s hole where the stream was off
    assert joined.duration_seconds == pytest.approx(last_frame, abs=0.2)
    assert [mark["wall_ms"] for mark in joined.timeline] == [START, START + 2_000, START + 12_000]
    assert [mark["offset"] for mark in joined.timeline] == pytest.approx([0.0, 2.0, 4.0], abs=0.05)
    assert joined.last_segment_ms == START + 12_000
    assert joined.size_bytes == target.stat().st_size
    with av.open(str(target)) as container:  # the codecs as recorded: nothing was re-encoded
        assert container.streams.video[0].codec_context.name == "vp8"
        assert container.streams.audio[0].codec_context.name == "opus"
        assert container.duration is not None  # a browser needs it (and the cues) to seek


def test_segments_that_keep_the_streams_clock_join_from_zero(tmp_path: Path) -> None:
    record(tmp_path, "12", [START, START + 2_000], continuous_clock=True)

    joined = join_segments(segments(recording_dir(tmp_path, "12")), tmp_path / "replay.webm")

    frames, last_frame, _heard = decoded_seconds(tmp_path / "replay.webm")
    assert frames == 40
    assert last_frame == pytest.approx(3.9, abs=0.05)
    assert [mark["offset"] for mark in joined.timeline] == pytest.approx([0.0, 2.0], abs=0.05)


def test_an_h264_publishers_mp4_segments_join_into_an_mp4(tmp_path: Path) -> None:
    record(tmp_path, "12", [START, START + 2_000], ext="mp4")

    joined = join_segments(segments(recording_dir(tmp_path, "12")), tmp_path / "replay.mp4")

    frames, last_frame, heard = decoded_seconds(tmp_path / "replay.mp4")
    assert (joined.ext, frames, heard) == ("mp4", 40, True)
    assert last_frame == pytest.approx(3.9, abs=0.05)


def test_unreadable_segments_are_skipped_and_nothing_readable_leaves_no_file(tmp_path: Path) -> None:
    folder = recording_dir(tmp_path, "12")
    folder.mkdir(parents=True)
    (folder / f"{START:013d}-000000.webm").write_bytes(b"not a recording")
    target = tmp_path / "replay.webm"

    with pytest.raises(NothingToJoin):
        join_segments(segments(folder), target)
    assert not target.exists()

    record(tmp_path, "12", [START + 2_000])
    joined = join_segments(segments(folder), target)
    assert joined.skipped == 1
    assert [mark["wall_ms"] for mark in joined.timeline] == [START + 2_000]


def test_a_wall_clock_moment_finds_its_place_in_the_replay() -> None:
    timeline = [{"wall_ms": START, "offset": 0.0}, {"wall_ms": START + 60_000, "offset": 20.0}]

    assert replay_offset(timeline, START - 1) is None  # before the recording began
    assert replay_offset(timeline, START + 5_500) == 5.5
    assert replay_offset(timeline, START + 40_000) == 20.0  # the stream was off: where it came back
    assert replay_offset(timeline, START + 61_000) == 21.0


def test_a_recording_whose_first_segment_had_sound_only_keeps_the_later_picture(tmp_path: Path) -> None:
    record(tmp_path, "12", [START, START + 2_000, START + 4_000], sound_only_first=True)

    joined = join_segments(segments(recording_dir(tmp_path, "12")), tmp_path / "replay.webm")

    frames, last_frame, heard = decoded_seconds(tmp_path / "replay.webm")
    assert (frames, heard) == (40, True)
    assert last_frame == pytest.approx(5.9, abs=0.1)  # the picture starts where the first 2 s of sound end
    assert joined.duration_seconds == pytest.approx(6.0, abs=0.2)
