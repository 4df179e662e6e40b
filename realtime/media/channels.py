"""Interpretation channels: audio-only streams ("12_ja", server/streams/channels.py) with several interpreters
publishing at once and exactly one of them, the on-air account, heard by the listeners.

Each interpreter's Opus packets are taken from the receiver as they arrive (``tap_encoded_frames``, never decoded);
those of the on-air account are stamped on the channel's own timeline and handed to the listeners' tracks
(``Fanout``), so a listener costs packetising and SRTP only. Switching the on-air account takes effect with the
next packet: each listener's sender numbers packets one after the other and the timeline goes on right after the
last packet sent, so listeners hear no gap, never two voices at once, and need no renegotiation.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import av

from realtime.media.config import RelaySettings
from realtime.media.encoder import AUDIO_RATE, AUDIO_TIME_BASE, OPUS_FRAME_SAMPLES
from realtime.media.fanout import Fanout
from realtime.media.recorder import Recorder, RecordSwitch, recorder_for
from server.streams.channels import parse_stream_key

if TYPE_CHECKING:
    from realtime.media.relay import Peer

MAX_OPUS_STEP = 10 * AUDIO_RATE  # a longer jump between one interpreter's packets is not silence but a new clock
RESUME_AFTER = 0.5  # seconds without a packet after which the timeline catches up with the time that passed


def channel_language(key: str) -> str | None:
    """The language of an interpretation channel's key, else None (the floor, or a test's free-form name)."""
    parsed = parse_stream_key(key)
    return parsed[1] if parsed is not None else None


def malformed_channel_key(key: str) -> bool:
    """A session id and a separator, but no language code after it ("12_x", "12_"): no such stream, ever."""
    session, separator, _ = key.partition("_")
    return bool(separator) and session.isdigit() and channel_language(key) is None


class ChannelTimeline:
    """RTP time for the listeners: each packet follows the one sent before, whoever speaks.

    Within one interpreter's packets the step is the difference of their timestamps (20 ms for usual Opus, longer
    across discontinuous transmission); the first packet of another interpreter comes one step after the last
    packet sent, or, after a silence, as much later as the silence lasted.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._source: object | None = None
        self._source_last = 0
        self._last: int | None = None
        self._last_at = 0.0
        self._step = OPUS_FRAME_SAMPLES
        self.switches = 0

    def stamp(self, source: object, timestamp: int) -> int:
        now = self._clock()
        if self._last is None:
            stamped = 0
        elif source is not self._source:
            self.switches += 1
            stamped = self._last + self._step
            silence = now - self._last_at
            if silence > RESUME_AFTER:
                stamped = max(stamped, self._last + int(silence * AUDIO_RATE))
        else:
            step = timestamp - self._source_last
            if 0 < step <= MAX_OPUS_STEP:
                self._step = min(step, 6 * OPUS_FRAME_SAMPLES)  # Opus frames last at most 120 ms
                stamped = self._last + step
            else:  # the publisher's clock jumped: go on as if one frame had passed
                stamped = self._last + self._step
        self._source = source
        self._source_last = timestamp
        self._last = stamped
        self._last_at = now
        return stamped


@dataclass(eq=False)
class Voice:
    """One interpreter's connection: the account and how much of its audio arrived."""

    account: str
    packets: int = 0
    last_packet_at: float | None = None


class Channel:
    """One interpretation channel: interpreters (publishers, one per account) and listeners (viewers)."""

    def __init__(
        self,
        key: str,
        settings: RelaySettings,
        on_air: Callable[[], str | None],
        *,
        record_switch: RecordSwitch | None = None,
    ) -> None:
        self.key = key
        self.fanout = Fanout("audio", max_queue=max(25, settings.viewer_queue_frames))
        # The on-air voice, as listeners hear it, into audio-only segments.
        self.recorder: Recorder | None = recorder_for(
            key, media_dir=settings.media_dir, switch=record_switch, request_keyframe=None
        )
        if self.recorder is not None:
            self.fanout.taps.append(self.recorder.audio)
        self.timeline = ChannelTimeline()
        self._on_air = on_air
        self.publishers: dict[str, Peer] = {}  # by account: one connection per interpreter
        self.viewers: dict[str, Peer] = {}  # by resource id
        self.voices: dict[str, Voice] = {}  # by the publisher's resource id
        self.forwarded = 0
        self.last_forwarded_at: float | None = None

    @property
    def on_air(self) -> str | None:
        return self._on_air()

    @property
    def idle(self) -> bool:
        return not self.publishers and not self.viewers

    def publisher(self, resource_id: str) -> Peer | None:
        return next((peer for peer in self.publishers.values() if peer.resource_id == resource_id), None)

    def listen_to(self, resource_id: str, account: str) -> Callable[[str, bytes, int], None]:
        """What to call with each encoded frame of an interpreter's connection (``tap_encoded_frames``)."""
        voice = self.voices[resource_id] = Voice(account)

        def on_frame(codec: str, data: bytes, timestamp: int) -> None:
            if codec != "opus" or not data or self.voices.get(resource_id) is not voice:
                return
            voice.packets += 1
            voice.last_packet_at = time.monotonic()
            if self._on_air() == account:
                self._forward(voice, data, timestamp)

        return on_frame

    def forget(self, resource_id: str) -> None:
        self.voices.pop(resource_id, None)

    async def close(self) -> None:
        if self.recorder is not None:
            await self.recorder.close()

    def _forward(self, voice: Voice, data: bytes, timestamp: int) -> None:
        packet = av.Packet(data)
        packet.pts = self.timeline.stamp(voice, timestamp)
        packet.time_base = AUDIO_TIME_BASE
        self.forwarded += 1
        self.last_forwarded_at = voice.last_packet_at
        self.fanout.publish(packet)
