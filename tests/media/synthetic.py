"""A synthetic camera for tests and benchmarks: 640x360 at 30 fps, a scrolling texture with a moving bar; and a
synthetic microphone playing a marker tone, with what a listener heard in it."""

from __future__ import annotations

import asyncio
import fractions
import math
import random
import time
from array import array
from dataclasses import dataclass

from aiortc import AudioStreamTrack, VideoStreamTrack
from av import AudioFrame, VideoFrame

WIDTH, HEIGHT = 640, 360


def pattern_frames(count: int = 60, *, seed: int = 7) -> list[bytes]:
    """Luma planes: a block texture scrolling two pixels a frame (cheap to make, realistic work for VP8)."""
    rng = random.Random(seed)
    block = 8
    cells = [[rng.randrange(40, 216) for _ in range(WIDTH // block * 2)] for _ in range(HEIGHT // block)]
    wide_rows = [bytes(value for value in row for _ in range(block)) for row in cells]
    planes = []
    for index in range(count):
        shift = (index * 2) % WIDTH
        bar = (index * 11) % (WIDTH - 48)
        rows = []
        for y, wide in enumerate(wide_rows):
            row = bytearray(wide[shift : shift + WIDTH])
            row[bar : bar + 48] = bytes([235 - (y * 3) % 60]) * 48
            rows.append(bytes(row) * block)
        planes.append(b"".join(rows))
    return planes


class PatternTrack(VideoStreamTrack):
    """Paces itself at 30 fps like a camera; each frame is new, so an encoder may mark it freely."""

    def __init__(self, *, count: int = 60) -> None:
        super().__init__()
        self._planes = pattern_frames(count)
        self._chroma = bytes([128]) * (WIDTH // 2 * HEIGHT // 2)
        self.sent = 0

    async def recv(self) -> VideoFrame:
        pts, time_base = await self.next_timestamp()
        frame = VideoFrame(WIDTH, HEIGHT, "yuv420p")
        frame.planes[0].update(self._planes[self.sent % len(self._planes)])
        frame.planes[1].update(self._chroma)
        frame.planes[2].update(self._chroma)
        frame.pts, frame.time_base = pts, time_base
        self.sent += 1
        return frame


AUDIO_RATE = 48_000
AUDIO_FRAME = 960  # 20 ms


def tone_samples(frequency: int, *, amplitude: int = 8000) -> bytes:
    """20 ms of a sine at ``frequency`` (a multiple of 50 Hz, so every frame is the same), mono s16."""
    return array(
        "h", (int(amplitude * math.sin(2 * math.pi * frequency * n / AUDIO_RATE)) for n in range(AUDIO_FRAME))
    ).tobytes()


class ToneTrack(AudioStreamTrack):
    """A microphone playing a marker tone, paced at 20 ms a frame; each interpreter gets its own frequency.

    ``bursts`` (seconds on, seconds off) makes it a beeper: the tone starts at known moments, kept in ``onsets``
    (``time.monotonic()``), for measuring mouth-to-ear delay."""

    def __init__(self, frequency: int, *, bursts: tuple[float, float] | None = None) -> None:
        super().__init__()
        self.frequency = frequency
        self._tone = tone_samples(frequency)
        self._silence = bytes(len(self._tone))
        self._bursts = bursts
        self._start: float | None = None
        self._sent = 0
        self.onsets: list[float] = []

    async def recv(self) -> AudioFrame:
        if self._start is None:
            self._start = time.monotonic()
        due = self._start + self._sent * AUDIO_FRAME / AUDIO_RATE
        await asyncio.sleep(max(0.0, due - time.monotonic()))
        loud = True
        if self._bursts is not None:
            on, off = self._bursts
            position = (self._sent * AUDIO_FRAME / AUDIO_RATE) % (on + off)
            loud = position < on
            if position < AUDIO_FRAME / AUDIO_RATE:
                self.onsets.append(due)
        frame = AudioFrame(format="s16", layout="mono", samples=AUDIO_FRAME)
        frame.planes[0].update(self._tone if loud else self._silence)
        frame.sample_rate = AUDIO_RATE
        frame.pts = self._sent * AUDIO_FRAME
        frame.time_base = fractions.Fraction(1, AUDIO_RATE)
        self._sent += 1
        return frame


@dataclass(frozen=True)
class Heard:
    """What one decoded 20 ms of a listener held: its loudness (RMS) and its pitch from zero crossings."""

    rms: float
    frequency: float

    @property
    def loud(self) -> bool:
        return self.rms > 1000


def hear(frame: AudioFrame) -> Heard:
    """Loudness and pitch (from its zero crossings) of the first channel of a decoded s16 frame (aiortc decodes Opus
    to packed s16)."""
    samples = array("h", bytes(frame.planes[0]))[: frame.samples * len(frame.layout.channels)]
    first = samples[:: len(frame.layout.channels)]
    if not first:
        return Heard(0.0, 0.0)
    rms = math.sqrt(sum(s * s for s in first) / len(first))
    crossings = [n for n, (a, b) in enumerate(zip(first, first[1:], strict=False)) if (a < 0) != (b < 0)]
    if len(crossings) < 2:
        return Heard(rms, 0.0)
    # Between the first crossing and the last: a frame with the tone in part of it still shows the tone's pitch.
    return Heard(rms, (len(crossings) - 1) / 2 / ((crossings[-1] - crossings[0]) / frame.sample_rate))
