"""A synthetic camera for tests and benchmarks: 640x360 at 30 fps, a scrolling texture with a moving bar."""

from __future__ import annotations

import random

from aiortc import VideoStreamTrack
from av import VideoFrame

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
