"""Encode once per stream with PyAV: VP8 video with keyframes on request, Opus audio, timestamps that keep rising.

Every viewer gets the same ``av.Packet`` objects, so these are the only encoders a stream has, however many watch.
"""

from __future__ import annotations

import fractions
import logging
import time
from collections.abc import Callable

import av
from av.audio.resampler import AudioResampler
from av.video.frame import PictureType

logger = logging.getLogger(__name__)

VIDEO_RATE = 90_000
AUDIO_RATE = 48_000
VIDEO_TIME_BASE = fractions.Fraction(1, VIDEO_RATE)
AUDIO_TIME_BASE = fractions.Fraction(1, AUDIO_RATE)
OPUS_FRAME_SAMPLES = 960  # 20 ms


class Timeline:
    """Output timestamps for one stream: each publisher's own clock, placed after what was sent before."""

    def __init__(self, rate: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self._clock = clock
        self._origin = clock()
        self._source_first: int | None = None
        self._base = 0
        self._last = -1

    def now(self) -> int:
        return int((self._clock() - self._origin) * self.rate)

    def new_source(self) -> None:
        self._source_first = None

    def stamp(self, pts: int | None, time_base: fractions.Fraction | None) -> int:
        if pts is None or time_base is None:
            stamped = self.now()
        else:
            source = int(pts * time_base * self.rate)
            if self._source_first is None:
                self._source_first = source
                self._base = max(self.now(), self._last + 1)
            stamped = self._base + source - self._source_first
        stamped = max(stamped, self._last + 1)
        self._last = stamped
        return stamped


class VideoEncoder:
    """One VP8 encoder (one thread) per stream; keyframe requests are coalesced and rate-limited."""

    def __init__(
        self,
        *,
        bitrate: int,
        keyframe_interval: float,
        keyframe_min_interval: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.bitrate = bitrate
        self.keyframe_interval = keyframe_interval
        self.keyframe_min_interval = keyframe_min_interval
        self._clock = clock
        self._codec: av.VideoCodecContext | None = None
        self._keyframe_wanted = False
        self._last_keyframe_at = float("-inf")
        self.keyframes = 0
        self.frames = 0
        self.width = 0
        self.height = 0

    def request_keyframe(self) -> None:
        """Make a keyframe of the next frame, unless one went out less than ``keyframe_min_interval`` ago."""
        self._keyframe_wanted = True

    def _open(self, width: int, height: int) -> av.VideoCodecContext:
        codec = av.CodecContext.create("libvpx", "w")
        assert isinstance(codec, av.VideoCodecContext)
        codec.width, codec.height = width, height
        codec.pix_fmt = "yuv420p"
        codec.time_base = VIDEO_TIME_BASE
        codec.framerate = fractions.Fraction(30, 1)
        codec.bit_rate = self.bitrate
        codec.gop_size = 3000  # keyframes come from requests and keyframe_interval, not from the encoder
        codec.qmin, codec.qmax = 2, 56
        codec.thread_count = 1
        # Real-time CBR, as aiortc's own VP8 encoder sets it up.
        codec.options = {
            "bufsize": str(self.bitrate),
            "cpu-used": "-6",
            "deadline": "realtime",
            "lag-in-frames": "0",
            "minrate": str(self.bitrate),
            "maxrate": str(self.bitrate),
            "noise-sensitivity": "4",
            "overshoot-pct": "15",
            "partitions": "0",
            "static-thresh": "1",
            "undershoot-pct": "100",
        }
        self.width, self.height = width, height
        return codec

    def encode(self, frame: av.VideoFrame, pts: int) -> list[av.Packet]:
        """Encode one frame (in the stream's encoder thread); the packets carry ``pts`` in 1/90000 s."""
        if frame.format.name != "yuv420p":
            frame = frame.reformat(format="yuv420p")
        if self._codec is None or (frame.width, frame.height) != (self.width, self.height):
            self._codec = self._open(frame.width, frame.height)
        now = self._clock()
        since = now - self._last_keyframe_at
        if since >= self.keyframe_interval or (self._keyframe_wanted and since >= self.keyframe_min_interval):
            self._keyframe_wanted = False
            frame.pict_type = PictureType.I
        else:
            frame.pict_type = PictureType.NONE
        frame.pts = pts
        frame.time_base = VIDEO_TIME_BASE
        try:
            packets = list(self._codec.encode(frame))
        except av.FFmpegError as exc:
            logger.warning("VP8 encoder failed (%s); starting a new one", exc)
            self._codec = None
            return []
        self.frames += 1
        for packet in packets:
            if packet.is_keyframe:
                self._last_keyframe_at = now
                self.keyframes += 1
        return packets


class AudioEncoder:
    """One Opus encoder per stream, fed 20 ms stereo frames whatever the publisher sends."""

    def __init__(self, timeline: Timeline, *, bitrate: int = 64_000) -> None:
        self._timeline = timeline
        self._codec = av.CodecContext.create("libopus", "w")
        assert isinstance(self._codec, av.AudioCodecContext)
        self._codec.bit_rate = bitrate
        self._codec.format = "s16"
        self._codec.layout = "stereo"
        self._codec.sample_rate = AUDIO_RATE
        self._codec.time_base = AUDIO_TIME_BASE
        self._codec.options = {"application": "audio"}
        self._resampler = self._new_resampler()
        self._next_pts = 0

    @staticmethod
    def _new_resampler() -> AudioResampler:
        return AudioResampler(format="s16", layout="stereo", rate=AUDIO_RATE, frame_size=OPUS_FRAME_SAMPLES)

    def new_source(self) -> None:
        """A new publisher: restart resampling and leave a gap as long as the silence."""
        self._resampler = self._new_resampler()
        self._next_pts = max(self._next_pts, self._timeline.now())

    def encode(self, frame: av.AudioFrame) -> list[av.Packet]:
        packets: list[av.Packet] = []
        try:
            for chunk in self._resampler.resample(frame):
                chunk.pts = self._next_pts
                chunk.time_base = AUDIO_TIME_BASE
                self._next_pts += chunk.samples
                packets += self._codec.encode(chunk)
        except av.FFmpegError as exc:
            logger.warning("Opus encoder failed (%s); dropping the frame", exc)
            self._resampler = self._new_resampler()
        return packets
