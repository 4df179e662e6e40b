"""An H.264/AAC rendition of a stream, encoded once however many consume it (HLS, restreams to RTMP platforms).

A :class:`Rendition` taps the packets a stream hands its viewers (``Fanout.taps``: VP8 and Opus, a live publisher's
or a played file's alike), decodes them and encodes H.264 (``libx264``, ``veryfast``/``zerolatency``, no B-frames,
an IDR every ``keyframe_seconds``, at most 30 frames a second, scaled to fit 640x360 keeping the picture's shape) and
AAC-LC (48 kHz stereo), all in one thread of its own so the event loop and the viewers never wait on it.

It starts when its first consumer subscribes (:meth:`Renditions.subscribe`) and stops when the last one leaves.
Each :class:`RenditionSubscription` gets the same packets through its own bounded queue, from a keyframe on:

- video: H.264 **Annex B** access units (start codes, no in-band SPS/PPS); the SPS and PPS are the codec's
  ``extradata`` in :class:`VideoParameters` (Annex B too). FFmpeg's mp4, flv and mpegts muxers all take this as it
  is (they write avcC, or repeat SPS/PPS before each IDR, themselves).
- audio: raw AAC frames (no ADTS header), 1024 samples each; the AudioSpecificConfig is ``extradata`` in
  :class:`AudioParameters`.

Timestamps are in each kind's ``time_base`` (1/90000 for video, 1/48000 for audio), on the stream's clock, so video
and audio stay in step, and they keep rising when the stream's publisher changes or the stream is made anew.
``pts == dts`` (no B-frames). A consumer that falls behind by ``max_queue`` packets skips to the next keyframe.

Consumers usually mux in a thread of their own: :meth:`RenditionSubscription.get` blocks (with a timeout);
from a coroutine, ``await asyncio.to_thread(subscription.get, 1.0)``.
"""

from __future__ import annotations

import asyncio
import contextlib
import fractions
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import av
from av.audio.resampler import AudioResampler
from av.codec.context import Flags
from av.video.frame import PictureType

if TYPE_CHECKING:
    from realtime.media.relay import Stream

logger = logging.getLogger(__name__)

VIDEO_TIME_BASE = fractions.Fraction(1, 90_000)
AUDIO_RATE = 48_000
AUDIO_TIME_BASE = fractions.Fraction(1, AUDIO_RATE)
AAC_FRAME_SAMPLES = 1024
MAX_WIDTH, MAX_HEIGHT = 640, 360
FRAME_RATE = 30
KEYFRAME_SECONDS = 2.0
VIDEO_BITRATE = 800_000
AUDIO_BITRATE = 96_000
MAX_QUEUE = 300  # packets waiting for one consumer (about 5 s of video and audio); beyond, it skips ahead
INPUT_BACKLOG = 90  # packets waiting for the encoding thread; beyond, video frames are decoded but not encoded
KEYFRAME_ASK_EVERY = 1.0  # seconds between the rendition's own keyframe requests to the stream's source
SOURCE_GAP = 0.1  # seconds left between what came before and a new stream's first packet


@dataclass(frozen=True)
class VideoParameters:
    """What a muxer needs to know of the H.264 stream."""

    width: int
    height: int
    extradata: bytes  # SPS and PPS, Annex B
    codec: str = "h264"
    time_base: fractions.Fraction = VIDEO_TIME_BASE
    frame_rate: int = FRAME_RATE
    bit_rate: int = VIDEO_BITRATE


@dataclass(frozen=True)
class AudioParameters:
    """What a muxer needs to know of the AAC stream."""

    extradata: bytes  # AudioSpecificConfig
    codec: str = "aac"
    sample_rate: int = AUDIO_RATE
    layout: str = "stereo"
    channels: int = 2
    frame_size: int = AAC_FRAME_SAMPLES
    time_base: fractions.Fraction = AUDIO_TIME_BASE
    bit_rate: int = AUDIO_BITRATE


@dataclass(frozen=True)
class RenditionPacket:
    kind: str  # "video" or "audio"
    packet: av.Packet  # pts and dts in the kind's time base (packet.time_base)
    keyframe: bool

    @property
    def seconds(self) -> float:
        return float((self.packet.pts or 0) * (self.packet.time_base or 1))


def fit_size(width: int, height: int, *, max_width: int = MAX_WIDTH, max_height: int = MAX_HEIGHT) -> tuple[int, int]:
    """The picture's size scaled down (never up) to fit ``max_width`` x ``max_height``, keeping its shape, even."""
    if width <= 0 or height <= 0:
        return max_width, max_height
    scale = min(1.0, max_width / width, max_height / height)
    return max(2, int(width * scale) // 2 * 2), max(2, int(height * scale) // 2 * 2)


def add_streams(
    container: av.container.OutputContainer, video: VideoParameters | None, audio: AudioParameters | None
) -> tuple[av.VideoStream | None, av.AudioStream | None]:
    """Streams in ``container`` for a rendition's packets, as they are (no encoding): a consumer muxes each packet
    after setting ``packet.stream``. The codec contexts are opened here with this rendition's parameters and their
    extradata replaced by the rendition encoder's, so the container's header matches the packets."""
    video_stream = audio_stream = None
    if video is not None:
        video_stream = container.add_stream("libx264", rate=video.frame_rate)
        video_stream.width, video_stream.height = video.width, video.height
        video_stream.pix_fmt = "yuv420p"
        video_stream.time_base = video.time_base
        context = video_stream.codec_context
        context.time_base = video.time_base
        context.bit_rate = video.bit_rate
        context.flags |= Flags.global_header
        context.options = {"preset": "ultrafast", "tune": "zerolatency"}  # opened for its parameters only
        context.thread_count = 1
        context.open()
        context.extradata = video.extradata
    if audio is not None:
        audio_stream = container.add_stream("aac", rate=audio.sample_rate)
        audio_context = audio_stream.codec_context
        audio_context.layout = audio.layout
        audio_context.format = "fltp"
        audio_context.bit_rate = audio.bit_rate
        audio_context.time_base = audio.time_base
        audio_stream.time_base = audio.time_base
        audio_context.flags |= Flags.global_header
        audio_context.open()
        audio_context.extradata = audio.extradata
    return video_stream, audio_stream


class RenditionSubscription:
    """One consumer's view of a rendition: its packets in order, from a video keyframe on."""

    def __init__(self, rendition: Rendition, *, max_queue: int = MAX_QUEUE) -> None:
        self._rendition = rendition
        self._queue: queue.Queue[RenditionPacket | None] = queue.Queue()
        self._max_queue = max_queue
        self.waiting_for_keyframe = True
        self.skips = 0
        self.closed = False

    @property
    def key(self) -> str:
        return self._rendition.key

    @property
    def video(self) -> VideoParameters | None:
        """Known from the first video packet on (None while no picture was encoded, or a stream without video)."""
        return self._rendition.video_parameters

    @property
    def audio(self) -> AudioParameters:
        return self._rendition.audio_parameters

    def _push(self, item: RenditionPacket) -> None:
        if self.closed:
            return
        if self.waiting_for_keyframe:
            if item.kind != "video" or not item.keyframe:
                return
            self.waiting_for_keyframe = False
        if self._queue.qsize() >= self._max_queue:
            with contextlib.suppress(queue.Empty):
                while True:
                    self._queue.get_nowait()
            self.skips += 1
            if not (item.kind == "video" and item.keyframe):
                self.waiting_for_keyframe = True
                self._rendition.request_keyframe()
                return
        self._queue.put(item)

    def get(self, timeout: float | None = None) -> RenditionPacket | None:
        """The next packet; None when ``timeout`` seconds pass without one, or once the subscription is closed."""
        if self.closed:
            return None
        try:
            item = self._queue.get(timeout=timeout)
        except queue.Empty:
            return None
        return item

    def pending(self) -> int:
        return self._queue.qsize()

    def close(self) -> None:
        """Unsubscribe (from any thread); the rendition stops after its last subscriber leaves."""
        if self.closed:
            return
        self.closed = True
        self._queue.put(None)  # wakes a consumer blocked in get()
        self._rendition.release(self)


class _Encoder:
    """The rendition's thread: VP8 and Opus in, H.264 and AAC out to the subscribers."""

    def __init__(self, rendition: Rendition) -> None:
        self._rendition = rendition
        self._vp8: av.VideoCodecContext | None = None
        self._h264: av.VideoCodecContext | None = None
        self._size = (0, 0)
        self._opus: av.AudioCodecContext | None = None
        self._aac = self._open_aac()
        self._resampler = self._new_resampler()
        self._audio_next: int | None = None  # pts of the next AAC frame
        self._audio_expected: int | None = None  # pts the next Opus packet should have when nothing was lost
        self._last_video_pts: int | None = None
        self._next_keyframe_pts: int | None = None  # when the regular keyframe is due (every KEYFRAME_SECONDS)
        self._need_vp8_keyframe = True
        self._keyframe_wanted = True
        self._last_ask = float("-inf")

    @staticmethod
    def _new_resampler() -> AudioResampler:
        return AudioResampler(format="fltp", layout="stereo", rate=AUDIO_RATE, frame_size=AAC_FRAME_SAMPLES)

    def _open_aac(self) -> av.AudioCodecContext:
        codec = av.CodecContext.create("aac", "w")
        assert isinstance(codec, av.AudioCodecContext)
        codec.sample_rate = AUDIO_RATE
        codec.layout = "stereo"
        codec.format = "fltp"
        codec.bit_rate = AUDIO_BITRATE
        codec.time_base = AUDIO_TIME_BASE
        codec.flags |= Flags.global_header
        codec.open()
        self._rendition.audio_parameters = AudioParameters(extradata=bytes(codec.extradata or b""))
        return codec

    def _open_h264(self, width: int, height: int) -> av.VideoCodecContext:
        codec = av.CodecContext.create("libx264", "w")
        assert isinstance(codec, av.VideoCodecContext)
        codec.width, codec.height = width, height
        codec.pix_fmt = "yuv420p"
        codec.time_base = VIDEO_TIME_BASE
        codec.framerate = fractions.Fraction(FRAME_RATE, 1)
        codec.bit_rate = VIDEO_BITRATE
        codec.gop_size = int(FRAME_RATE * KEYFRAME_SECONDS * 2)  # a backstop: keyframes are forced on time below
        codec.max_b_frames = 0
        codec.thread_count = 1
        codec.flags |= Flags.global_header
        codec.options = {
            "preset": "veryfast",
            "tune": "zerolatency",
            "profile": "high",
            "forced-idr": "1",
            "sc_threshold": "0",
            "maxrate": str(VIDEO_BITRATE),
            "bufsize": str(VIDEO_BITRATE),
        }
        codec.open()
        self._size = (width, height)
        self._rendition.video_parameters = VideoParameters(
            width=width, height=height, extradata=bytes(codec.extradata or b"")
        )
        return codec

    def _ask_keyframe(self) -> None:
        now = time.monotonic()
        if now - self._last_ask >= KEYFRAME_ASK_EVERY:
            self._last_ask = now
            self._rendition.request_source_keyframe()

    def new_source(self) -> None:
        """Another stream object (or publisher) follows: decode from its next keyframe, resample afresh."""
        self._need_vp8_keyframe = True
        self._vp8 = None
        self._opus = None
        self._resampler = self._new_resampler()
        self._audio_next = None
        self._audio_expected = None
        self._keyframe_wanted = True

    def video(self, data: bytes, pts: int, keyframe: bool, behind: bool) -> None:
        if self._need_vp8_keyframe:
            if not keyframe:
                self._ask_keyframe()
                return
            self._need_vp8_keyframe = False
        if self._vp8 is None:
            self._vp8 = av.CodecContext.create("vp8", "r")
            assert self._vp8 is not None
            self._vp8.thread_count = 1
        packet = av.Packet(data)
        packet.pts = pts
        packet.time_base = VIDEO_TIME_BASE
        try:
            frames = self._vp8.decode(packet)
        except av.FFmpegError as exc:
            logger.info(
                "rendition %s: a VP8 frame did not decode (%s); waiting for a keyframe", self._rendition.key, exc
            )
            self._vp8 = None
            self._need_vp8_keyframe = True
            self._ask_keyframe()
            return
        for frame in frames:
            self._encode_video(frame, pts, behind=behind)

    def _encode_video(self, frame: av.VideoFrame, pts: int, *, behind: bool) -> None:
        last = self._last_video_pts
        frame_ticks = VIDEO_TIME_BASE.denominator // FRAME_RATE
        # Regular keyframes on a fixed cadence, so HLS segments stay two seconds long whatever extra keyframes
        # joining subscribers ask for in between; half a frame early counts as on time.
        due = self._next_keyframe_pts is None or pts >= self._next_keyframe_pts - frame_ticks // 2
        if last is not None and pts - last < frame_ticks * 0.8 and not due:
            return  # above 30 frames a second
        if behind and not due:
            self._rendition.frames_dropped += 1
            return
        size = fit_size(frame.width, frame.height)
        if self._h264 is None:
            self._h264 = self._open_h264(*size)
        width, height = self._size
        if (frame.width, frame.height) != (width, height) or frame.format.name != "yuv420p":
            frame = frame.reformat(width=width, height=height, format="yuv420p")
        if last is not None and pts <= last:
            pts = last + 1
        keyframe = due or self._keyframe_wanted
        frame.pict_type = PictureType.I if keyframe else PictureType.NONE
        frame.pts = pts
        frame.time_base = VIDEO_TIME_BASE
        try:
            packets = self._h264.encode(frame)
        except av.FFmpegError as exc:
            logger.warning("rendition %s: the H.264 encoder failed (%s); starting a new one", self._rendition.key, exc)
            self._h264 = None
            self._keyframe_wanted = True
            return
        self._last_video_pts = pts
        if keyframe:
            self._keyframe_wanted = False
        if due:
            interval = int(KEYFRAME_SECONDS * 90_000)
            following = (self._next_keyframe_pts or pts) + interval
            self._next_keyframe_pts = following if following > pts else pts + interval
        self._rendition.frames_encoded += 1
        for packet in packets:
            packet.time_base = VIDEO_TIME_BASE
            packet.dts = packet.pts
            self._rendition.deliver(RenditionPacket("video", packet, bool(packet.is_keyframe)))

    def audio(self, data: bytes, pts: int) -> None:
        if self._opus is None:
            self._opus = av.CodecContext.create("opus", "r")
            assert self._opus is not None
            self._opus.sample_rate = AUDIO_RATE
            self._opus.layout = "stereo"
        expected = self._audio_expected
        if self._audio_next is None or expected is None or abs(pts - expected) > AUDIO_RATE // 10:
            # The first packet, or a gap (a publisher gone and back): AAC timestamps follow this packet's.
            self._resampler = self._new_resampler()
            self._audio_next = max(pts, self._audio_next or 0)
        packet = av.Packet(data)
        packet.pts = pts
        packet.time_base = AUDIO_TIME_BASE
        try:
            frames = self._opus.decode(packet)
        except av.FFmpegError:
            self._opus = None
            return
        for frame in frames:
            self._audio_expected = pts + frame.samples
            frame.pts = None
            for chunk in self._resampler.resample(frame):
                chunk.pts = self._audio_next
                chunk.time_base = AUDIO_TIME_BASE
                self._audio_next += chunk.samples
                try:
                    packets = self._aac.encode(chunk)
                except av.FFmpegError as exc:
                    logger.warning("rendition %s: the AAC encoder failed (%s)", self._rendition.key, exc)
                    continue
                for out in packets:
                    out.time_base = AUDIO_TIME_BASE
                    out.dts = out.pts
                    self._rendition.deliver(RenditionPacket("audio", out, True))

    def want_keyframe(self) -> None:
        self._keyframe_wanted = True


_Item = tuple[str, bytes, int, bool] | None


class Rendition:
    """One stream key's H.264/AAC rendition; made by :class:`Renditions`, which attaches it to the key's stream."""

    def __init__(self, key: str, owner: Renditions) -> None:
        self.key = key
        self._owner = owner
        self._loop = asyncio.get_running_loop()
        self._subscribers: list[RenditionSubscription] = []
        self._lock = threading.Lock()
        self._input: queue.SimpleQueue[_Item] = queue.SimpleQueue()
        self._pending = 0
        self._stream: Stream | None = None
        self._offset = 0.0  # seconds added to the attached stream's timestamps
        self._last_seconds = 0.0  # the latest timestamp handed out, in seconds
        self.video_parameters: VideoParameters | None = None
        self.audio_parameters = AudioParameters(extradata=b"")
        self.frames_encoded = 0
        self.frames_dropped = 0
        self.bytes_out = 0
        self.started_at = time.monotonic()
        self.stopped = False
        self._encoder = _Encoder(self)
        self._thread = threading.Thread(target=self._run, name=f"relay-rendition-{key}", daemon=True)
        self._thread.start()

    # On the event loop: the stream's taps.

    def attach(self, stream: Stream) -> None:
        """Take ``stream``'s packets from now on (a stream made anew for the key continues the timestamps)."""
        if self._stream is stream or self.stopped:
            return
        self.detach()
        self._stream = stream
        if self._last_seconds > 0:
            self._offset = self._last_seconds + SOURCE_GAP - stream.video.timeline.now() / 90_000
            self._input.put(("source", b"", 0, False))
        stream.video.fanout.taps.append(self._on_video)
        stream.audio.fanout.taps.append(self._on_audio)
        self.request_source_keyframe()

    def detach(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            with contextlib.suppress(ValueError):
                stream.video.fanout.taps.remove(self._on_video)
            with contextlib.suppress(ValueError):
                stream.audio.fanout.taps.remove(self._on_audio)

    def _shift(self, pts: int | None, rate: int) -> int:
        return (pts or 0) + round(self._offset * rate)

    def _on_video(self, packet: av.Packet) -> None:
        self._pending += 1
        self._input.put(("video", bytes(packet), self._shift(packet.pts, 90_000), bool(packet.is_keyframe)))

    def _on_audio(self, packet: av.Packet) -> None:
        self._pending += 1
        self._input.put(("audio", bytes(packet), self._shift(packet.pts, AUDIO_RATE), False))

    def request_source_keyframe(self) -> None:
        """Ask the stream's source for a VP8 keyframe (from any thread); the pipeline spaces requests out."""
        if not self._on_loop():
            with contextlib.suppress(RuntimeError):  # the loop is closed: the relay is shutting down
                self._loop.call_soon_threadsafe(self._ask_stream)
            return
        self._ask_stream()

    def _on_loop(self) -> bool:
        try:
            return asyncio.get_running_loop() is self._loop
        except RuntimeError:
            return False

    def _ask_stream(self) -> None:
        if self._stream is not None:
            self._stream.video.request_keyframe()

    def request_keyframe(self) -> None:
        """A subscriber needs an H.264 keyframe soon (it joined, or skipped ahead)."""
        self._encoder.want_keyframe()

    # Subscribers.

    def subscribe(self, *, max_queue: int = MAX_QUEUE) -> RenditionSubscription:
        subscription = RenditionSubscription(self, max_queue=max_queue)
        with self._lock:
            self._subscribers.append(subscription)
        self.request_keyframe()
        return subscription

    def release(self, subscription: RenditionSubscription) -> None:
        with self._lock:
            if subscription in self._subscribers:
                self._subscribers.remove(subscription)
            last = not self._subscribers
        if last:
            if self._on_loop():
                self._owner.stop_if_unused(self)
            else:
                with contextlib.suppress(RuntimeError):
                    self._loop.call_soon_threadsafe(self._owner.stop_if_unused, self)

    @property
    def subscribers(self) -> int:
        return len(self._subscribers)

    def deliver(self, item: RenditionPacket) -> None:
        """In the rendition's thread: hand a packet to every subscriber."""
        self.bytes_out += item.packet.size
        self._last_seconds = max(self._last_seconds, item.seconds)
        with self._lock:
            subscribers = tuple(self._subscribers)
        for subscription in subscribers:
            subscription._push(item)

    # The thread.

    def _run(self) -> None:
        while True:
            item = self._input.get()
            if item is None:
                break
            self._pending -= 1
            kind, data, pts, keyframe = item
            try:
                if kind == "video":
                    self._encoder.video(data, pts, keyframe, behind=self._pending > INPUT_BACKLOG)
                elif kind == "audio":
                    self._encoder.audio(data, pts)
                else:
                    self._encoder.new_source()
            except Exception:  # never let one bad packet end the rendition
                logger.exception("rendition %s: encoding failed", self.key)

    def stop(self) -> None:
        """Stop encoding; every subscriber's ``get`` answers None from now on."""
        if self.stopped:
            return
        self.stopped = True
        self.detach()
        self._input.put(None)
        with self._lock:
            subscribers, self._subscribers = self._subscribers, []
        for subscription in subscribers:
            subscription.closed = True
            subscription._queue.put(None)

    def join(self, timeout: float = 2.0) -> None:
        self._thread.join(timeout)


class Renditions:
    """A relay's renditions by stream key: made on the first subscription, stopped after the last one leaves."""

    def __init__(self, streams: Callable[[str], Stream | None]) -> None:
        self._streams = streams  # the key's current stream, if the relay has one
        self.by_key: dict[str, Rendition] = {}

    def subscribe(self, key: str, *, max_queue: int = MAX_QUEUE) -> RenditionSubscription:
        """On the event loop: a new consumer of ``key``'s rendition (started now if it was not running)."""
        rendition = self.by_key.get(key)
        if rendition is None or rendition.stopped:
            rendition = self.by_key[key] = Rendition(key, self)
        stream = self._streams(key)
        if stream is not None:
            rendition.attach(stream)
        return rendition.subscribe(max_queue=max_queue)

    def stream_made(self, stream: Stream) -> None:
        """The relay made a stream for a key: a running rendition of that key takes its packets."""
        rendition = self.by_key.get(stream.session_key)
        if rendition is not None:
            rendition.attach(stream)

    def stream_gone(self, stream: Stream) -> None:
        rendition = self.by_key.get(stream.session_key)
        if rendition is not None and rendition._stream is stream:
            rendition.detach()

    def stop_if_unused(self, rendition: Rendition) -> None:
        if rendition.subscribers == 0:
            rendition.stop()
            if self.by_key.get(rendition.key) is rendition:
                del self.by_key[rendition.key]

    def get(self, key: str) -> Rendition | None:
        return self.by_key.get(key)

    def close(self) -> None:
        for rendition in list(self.by_key.values()):
            rendition.stop()
        self.by_key.clear()
