"""Video files made with PyAV for the playback tests: a frame counter in the picture, a tone in the sound."""

from __future__ import annotations

import array
import fractions
import math
from pathlib import Path

import av

WIDTH, HEIGHT = 320, 240
FPS = 30


def counter_level(index: int) -> int:
    """The picture's brightness for frame ``index``: it steps every frame, so a viewer can tell frames apart."""
    return 40 + (index * 5) % 180


def make_video(path: Path, *, seconds: float = 3.0, audio: bool = True) -> Path:
    """An H.264 + AAC MP4, as an organiser would upload; ``seconds`` long at 320x240, 30 fps."""
    frames = int(seconds * FPS)
    with av.open(str(path), "w") as container:
        video = container.add_stream("libx264", rate=FPS)
        video.width, video.height, video.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        video.options = {"preset": "ultrafast", "g": str(FPS)}
        sound = container.add_stream("aac", rate=48_000) if audio else None
        for index in range(frames):
            frame = av.VideoFrame(WIDTH, HEIGHT, "yuv420p")
            frame.planes[0].update(bytes([counter_level(index)]) * (WIDTH * HEIGHT))
            frame.planes[1].update(bytes([128]) * (WIDTH * HEIGHT // 4))
            frame.planes[2].update(bytes([128]) * (WIDTH * HEIGHT // 4))
            frame.pts = index
            frame.time_base = fractions.Fraction(1, FPS)
            container.mux(video.encode(frame))
        container.mux(video.encode(None))
        if sound is not None:
            samples = 1024
            for block in range(int(seconds * 48_000 / samples)):
                first = block * samples
                tone = array.array(
                    "f", (0.3 * math.sin(2 * math.pi * 440 * (first + n) / 48_000) for n in range(samples))
                )
                chunk = av.AudioFrame(format="fltp", layout="mono", samples=samples)
                chunk.planes[0].update(tone.tobytes())
                chunk.sample_rate = 48_000
                chunk.pts = block * samples
                container.mux(sound.encode(chunk))
            container.mux(sound.encode(None))
    return path
