"""Recorded segments as the relay leaves them (server/streams/recording_files.py), made with PyAV: VP8 video and
Opus audio in WebM, or H.264 in MP4, a few seconds each, each starting with a keyframe; and the replay the builder makes
of them."""

from __future__ import annotations

import math
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
from sqlmodel import select

from server.archive.models import SessionArchive
from server.db import Database
from server.replays.models import Replay
from server.replays.services import ReplayBuilder, replays_dir
from server.settings import Settings
from server.streams.recording_files import complete_name, recording_dir, segment_name
from tests.support.speaker_stage import Stage

WIDTH, HEIGHT, FPS = 160, 120, 10
SAMPLE_RATE = 48000


def write_segment(
    path: Path, *, seconds: float, first_pts_ms: int = 0, ext: str = "webm", audio: bool = True, picture: bool = True
) -> None:
    """One segment of ``seconds``: frames whose timestamps start at ``first_pts_ms`` (a relay that keeps the
    stream's own clock across segments), a moving grey level so every frame differs."""
    with av.open(str(path), "w", format="webm" if ext == "webm" else "mp4") as container:
        video: Any = None
        if picture:
            video = container.add_stream("libvpx" if ext == "webm" else "libx264", rate=FPS)
            video.width, video.height, video.pix_fmt = WIDTH, HEIGHT, "yuv420p"
            video.time_base = Fraction(1, 1000)
        sound = None
        if audio:
            sound = container.add_stream("libopus" if ext == "webm" else "aac", rate=SAMPLE_RATE)
        frames = round(seconds * FPS) if picture else 0
        for index in range(frames):
            frame = av.VideoFrame(WIDTH, HEIGHT, "yuv420p")
            for number, plane in enumerate(frame.planes):
                level = (index * 7) % 200 + 20 if number == 0 else 128
                plane.update(bytes([level]) * plane.buffer_size)
            frame.pts = first_pts_ms + index * 1000 // FPS
            frame.time_base = Fraction(1, 1000)
            for packet in video.encode(frame):
                container.mux(packet)
        for packet in video.encode() if video is not None else []:
            container.mux(packet)
        if sound is not None:
            samples = 960
            chunks = round(seconds * SAMPLE_RATE / samples)
            for index in range(chunks):
                frame = av.AudioFrame(format="s16", layout="mono", samples=samples)
                tone = b"".join(
                    int(3000 * math.sin((index * samples + at) * 0.05)).to_bytes(2, "little", signed=True)
                    for at in range(samples)
                )
                frame.planes[0].update(tone)
                frame.sample_rate = SAMPLE_RATE
                frame.pts = first_pts_ms * SAMPLE_RATE // 1000 + index * samples
                frame.time_base = Fraction(1, SAMPLE_RATE)
                for packet in sound.encode(frame):
                    container.mux(packet)
            for packet in sound.encode():
                container.mux(packet)


def record(
    media_dir: Path,
    stream_key: str,
    starts_ms: list[int],
    *,
    seconds: float = 2.0,
    ext: str = "webm",
    part_last: bool = False,
    continuous_clock: bool = False,
    sound_only_first: bool = False,
) -> list[Path]:
    """Segments starting at each wall-clock moment of ``starts_ms`` in the key's folder; with ``part_last`` the
    last is left as a ``.part`` cut short in its middle, as a relay killed while writing it leaves it; with
    ``sound_only_first`` the first has no picture (a camera that came on after the microphone)."""
    folder = recording_dir(media_dir, stream_key)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for number, start in enumerate(starts_ms):
        part = folder / segment_name(start, number, ext)
        first = start - starts_ms[0] if continuous_clock else 0
        picture = not (sound_only_first and number == 0)
        write_segment(part, seconds=seconds, first_pts_ms=first, ext=ext, picture=picture)
        if part_last and number == len(starts_ms) - 1:
            data = part.read_bytes()
            part.write_bytes(data[: len(data) * 2 // 3])
            written.append(part)
        else:
            written.append(part.rename(folder / complete_name(part.name)))
    return written


def decoded_seconds(path: Path) -> tuple[int, float, bool]:
    """(video frames decoded, the last video frame's time in seconds, whether audio decoded) of a file."""
    frames, last, heard = 0, 0.0, False
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            frames += 1
            last = max(last, float(frame.pts * frame.time_base))
    with av.open(str(path)) as container:
        if container.streams.audio:
            heard = any(True for _ in container.decode(audio=0))
    return frames, last, heard


async def made_replay(database: Database, settings: Settings, stage: Stage, *, published: bool = True) -> Replay:
    start = int(stage.session.start.timestamp() * 1000)
    record(settings.media_dir, str(stage.session.id), [start, start + 2_000])
    await ReplayBuilder(database, lambda: settings.media_dir).tick()
    async with database.session() as db:
        db.add(
            SessionArchive(session_id=stage.session.id or 0, event_id=stage.event.id or 0, replay_published=published)
        )
        await db.commit()
        return (await db.exec(select(Replay).where(Replay.session_id == stage.session.id))).one()


def replay_bytes(settings: Settings, replay: Replay) -> bytes:
    return (replays_dir(settings.media_dir) / (replay.stored_name or "")).read_bytes()
