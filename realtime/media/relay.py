"""The relay: one stream per session, ingested once from its publisher and fanned out to its viewers, and the
session's interpretation channels (realtime/media/channels.py), audio only, forwarded from the interpreter on air.

Nothing here crashes the process: a bad offer, a dropped publisher or a vanished viewer ends that one peer.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import av
from aiortc import RTCPeerConnection, RTCRtpCodecCapability, RTCRtpReceiver, RTCRtpSender, RTCSessionDescription

from realtime.media.channels import Channel, channel_language
from realtime.media.config import RelaySettings
from realtime.media.dtls import answer_as_dtls_server
from realtime.media.fanout import Fanout, PacketTrack
from realtime.media.hls import HlsSessions
from realtime.media.ice import rtc_configuration
from realtime.media.ingest import AudioPipeline, VideoPipeline
from realtime.media.internals import (
    accept_rsa_peers,
    check_consent,
    frames_at_once,
    restrict_host_addresses,
    route_keyframe_requests,
    send_picture_loss,
    tap_encoded_frames,
    tee_encoded_frames,
)
from realtime.media.offers import Offer, OfferError
from realtime.media.playback import FilePlayback, PlaybackError, media_file, probe
from realtime.media.recorder import RecordEverything, RecordSwitch, h264_keyframe, recorder_for
from realtime.media.rendition import Renditions
from realtime.media.sender import PackedSender

if TYPE_CHECKING:
    from realtime.media.restream import Restreams

logger = logging.getLogger(__name__)

LIVE_WITHIN = 2.0  # seconds since the last frame for a publisher's stream to count as live

VIEWER_CODECS = {"video": ("video/vp8", "video/rtx"), "audio": ("audio/opus",)}
PUBLISH_VP8 = ("video/vp8", "video/rtx")
MAX_INTERPRETERS = 6  # accounts connected to one channel at once: a booth's team, relay interpreters, a spare


async def _stop_ice(pc: RTCPeerConnection) -> None:
    """Cut the peer's path without a goodbye: a DTLS close can no longer be sent (see Relay.close)."""
    for transceiver in pc.getTransceivers():
        await transceiver.receiver.transport.transport.stop()


async def _close_peer(peer: Peer) -> None:
    """Stop what the peer was sent and close its connection; a failing close ends only this peer."""
    for track in peer.tracks:
        track.stop()
    try:
        await peer.pc.close()
    except Exception:
        logger.exception("closing a peer connection failed")


def codec_capabilities(kind: str, mime_types: tuple[str, ...]) -> list[RTCRtpCodecCapability]:
    return [c for c in RTCRtpSender.getCapabilities(kind).codecs if c.mimeType.lower() in mime_types]


def _send_to(peer: Peer, fanout: Fanout) -> None:
    """Give a viewer a track of ``fanout``, sent packed once per stream, its PLI/FIR asking the stream's source."""
    track = fanout.subscribe()
    peer.tracks.append(track)
    transceiver = peer.pc.addTransceiver(track, direction="sendonly")
    transceiver.setCodecPreferences(codec_capabilities(fanout.kind, VIEWER_CODECS[fanout.kind]))
    PackedSender(transceiver.sender, track).install()
    route_keyframe_requests(transceiver.sender, track.request_keyframe)


class RelayError(Exception):
    """A refusal the signalling endpoints turn into an HTTP status."""

    status = 400


class PublisherConflict(RelayError):
    status = 409


class TooManyViewers(RelayError):
    status = 429


class RelayFull(RelayError):
    status = 503


class PlaybackConflict(RelayError):
    status = 409


class PlaybackRefused(RelayError):
    status = 422


class NotAChannel(RelayError):
    status = 404


@dataclass(eq=False)
class Peer:
    """A publisher's or a viewer's connection to the relay."""

    resource_id: str
    pc: RTCPeerConnection
    client_ip: str
    account: str | None = None
    edge: str | None = None  # the edge relay this viewer is, pulling the stream for its own viewers
    origin: str | None = None  # on an edge relay, the origin relay this publisher is: the stream's pull
    created_at: float = field(default_factory=time.monotonic)
    connected_at: float | None = None
    closed: bool = False
    tracks: list[PacketTrack] = field(default_factory=list)

    @property
    def state(self) -> str:
        return "closed" if self.closed else self.pc.connectionState


class Stream:
    """One session's stream: its pipelines outlive publishers, so viewers stay connected across a drop."""

    def __init__(self, session_key: str, settings: RelaySettings, record_switch: RecordSwitch | None = None) -> None:
        self.session_key = session_key
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="relay-encode")
        self.video = VideoPipeline(settings, self._executor)
        self.audio = AudioPipeline(settings)
        self.publisher: Peer | None = None
        self.viewers: dict[str, Peer] = {}
        self.playback: FilePlayback | None = None
        self.created_at = time.monotonic()
        self.recorder = recorder_for(
            session_key, media_dir=settings.media_dir, switch=record_switch, request_keyframe=self._recording_keyframe
        )
        self.h264_receiver: RTCRtpReceiver | None = None  # an H.264 publisher's, asked for keyframes to record
        self.publisher_has_audio = True
        if self.recorder is not None:
            self.video.fanout.taps.append(self._record_video)
            self.audio.fanout.taps.append(self.recorder.audio)

    def _record_video(self, packet: av.Packet) -> None:
        if self.recorder is not None:
            self.recorder.video(packet, width=self.video.width, height=self.video.height)

    def _recording_keyframe(self) -> None:
        recorder = self.recorder
        if recorder is not None and recorder.video_codec == "h264" and self.h264_receiver is not None:
            send_picture_loss(self.h264_receiver)
        else:
            self.video.request_keyframe()

    def record_publisher_frame(self, codec: str, data: bytes, timestamp: int) -> None:
        """An H.264 publisher's own frame, for the recording (viewers get it transcoded to VP8)."""
        recorder = self.recorder
        if recorder is None or codec != "H264" or not data or self.playback is not None:
            return
        recorder.video_codec = "h264"
        packet = av.Packet(data)
        packet.pts = self.video.timeline.now()  # on the stream's clock, as the audio is
        packet.is_keyframe = h264_keyframe(data)
        recorder.video(packet, width=self.video.width, height=self.video.height, codec="h264")

    def source_left(self) -> None:
        """The publisher or the playback went and nothing else plays: the recording's segment closes."""
        if self.recorder is not None and self.publisher is None and self.playback is None:
            self.recorder.stop()

    def fanout(self, kind: str) -> Fanout:
        return self.video.fanout if kind == "video" else self.audio.fanout

    def last_media_at(self) -> float | None:
        times = [t for t in (self.video.last_frame_at, self.audio.last_frame_at) if t is not None]
        return max(times) if times else None

    def on_air(self) -> bool:
        """Viewers get media now: its publisher sent within ``LIVE_WITHIN``, or a recording plays."""
        last = self.last_media_at()
        sending = self.publisher is not None and last is not None and time.monotonic() - last < LIVE_WITHIN
        return sending or self.playback is not None

    @property
    def idle(self) -> bool:
        return self.publisher is None and not self.viewers and self.playback is None

    def play(self, playback: FilePlayback) -> None:
        self.playback = playback
        if self.recorder is not None:
            self.recorder.video_codec = "vp8"  # a played file is recorded as viewers get it
            self.recorder.has_audio = playback.has_audio
        self.video.play(playback.video)
        self.audio.play(playback.audio)
        playback.start()

    def end_playback(self, playback: FilePlayback) -> bool:
        """Stop ``playback`` if it is still this stream's; the publisher, if any, goes on live."""
        if self.playback is not playback:
            return False
        self.playback = None
        playback.stop()
        self.video.end_playback()
        self.audio.end_playback()
        if self.recorder is not None:
            self.recorder.has_audio = self.publisher_has_audio
        self.source_left()
        return True

    async def close(self) -> None:
        if self.playback is not None:
            self.playback.stop()
        await self.video.close()
        await self.audio.close()
        self._executor.shutdown(wait=False, cancel_futures=True)
        if self.recorder is not None:
            await self.recorder.close()


class Relay:
    def __init__(self, settings: RelaySettings, *, record_switch: RecordSwitch | None = None) -> None:
        """``record_switch`` says which sessions are recorded when ``settings.record`` (default: all)."""
        self.settings = settings
        self.record_switch = (record_switch or RecordEverything()) if settings.record else None
        self.streams: dict[str, Stream] = {}
        self.channels: dict[str, Channel] = {}
        self.on_air: dict[str, str] = {}  # channel key -> account; kept while nobody is connected, until changed
        # What is wrong with this relay, for the organiser's console (an edge's origin unreachable or refusing):
        # sent with its next heartbeat (realtime/media/heartbeat.py); empty when all is well.
        self.message = ""
        self._watchdogs: set[asyncio.Task[None]] = set()
        self.renditions = Renditions(self.streams.get)  # H.264/AAC for HLS and restreams, encoded once per stream
        self.hls = HlsSessions(settings, self.streams, self.renditions)  # each live session's HLS (settings.hls)
        # Pushes to the sessions' restream targets (realtime/media/restream.py), when the relay has the database.
        self.restreams: Restreams | None = None
        restrict_host_addresses(settings.host_addresses)
        accept_rsa_peers()
        check_consent(interval=settings.consent_interval, failures=settings.consent_failures)

    def _keep(self, task: asyncio.Task[None]) -> None:
        self._watchdogs.add(task)
        task.add_done_callback(self._watchdogs.discard)

    def _stream(self, session_key: str) -> Stream:
        stream = self.streams.get(session_key)
        if stream is None:
            stream = self.streams[session_key] = Stream(session_key, self.settings, self.record_switch)
            self.renditions.stream_made(stream)
            self.hls.wake()
        return stream

    def _channel(self, key: str) -> Channel:
        channel = self.channels.get(key)
        if channel is None:
            channel = self.channels[key] = Channel(
                key, self.settings, functools.partial(self.on_air.get, key), record_switch=self.record_switch
            )
        return channel

    def _all_viewers(self) -> list[Peer]:
        holders: list[Stream | Channel] = [*self.streams.values(), *self.channels.values()]
        return [viewer for holder in holders for viewer in holder.viewers.values()]

    def viewer_count(self) -> int:
        return len(self._all_viewers())

    def _publisher_replaceable(self, stream: Stream, publisher: Peer) -> bool:
        """A publisher that failed, or went silent while connected, gives way to a new one."""
        if publisher.state in ("failed", "closed"):
            return True
        if publisher.connected_at is None:
            return False
        last = max(publisher.connected_at, stream.last_media_at() or 0.0)
        return time.monotonic() - last > self.settings.publisher_stale_after

    async def publish(
        self, session_key: str, offer: Offer, *, client_ip: str, account: str | None = None
    ) -> tuple[str, str]:
        """Take a publisher's offer; answer with the relay's SDP. Raises PublisherConflict if one is live.

        Into an interpretation channel, ``account`` names the interpreter (from the interpreter pass)."""
        if channel_language(session_key) is not None:
            return await self._publish_channel(session_key, offer, client_ip=client_ip, account=account)
        stream = self._stream(session_key)
        current = stream.publisher
        if current is not None and not self._publisher_replaceable(stream, current):
            raise PublisherConflict("this session already has a live publisher")
        peer = Peer(secrets.token_urlsafe(16), RTCPeerConnection(rtc_configuration(self.settings)), client_ip)
        stream.publisher = peer  # taken before any await, so a concurrent offer meets the conflict
        if current is not None:
            logger.info("session %s: a silent publisher gives way to a new one", session_key)
            await self._drop(stream, current)
        forwarding = "vp8" in offer.video_codecs
        for kind in offer.kinds:
            transceiver = peer.pc.addTransceiver(kind, direction="recvonly")
            if kind == "video" and forwarding:
                # A VP8 publisher must send VP8 only, so its frames can be forwarded without decoding.
                transceiver.setCodecPreferences(codec_capabilities("video", PUBLISH_VP8))
        answer = await self._answer(session_key, peer, offer, functools.partial(self._drop, stream))
        if stream.publisher is peer:  # media starts flowing only after this answer reaches the publisher
            stream.publisher_has_audio = "audio" in offer.kinds
            if stream.recorder is not None and stream.playback is None:
                stream.recorder.video_codec = "vp8"
                stream.recorder.has_audio = stream.publisher_has_audio
            for transceiver in peer.pc.getTransceivers():
                receiver = transceiver.receiver
                if transceiver.kind == "video" and forwarding:
                    tap_encoded_frames(receiver, stream.video.forward(functools.partial(send_picture_loss, receiver)))
                elif transceiver.kind == "video":
                    if stream.recorder is not None:  # recorded as it came (H.264 into MP4), not as re-encoded
                        stream.recorder.video_codec = None
                        stream.h264_receiver = receiver
                        tee_encoded_frames(receiver, stream.record_publisher_frame)
                    stream.video.transcode(receiver.track)
                else:
                    stream.audio.attach(receiver.track)
            if self.restreams is not None:
                self.restreams.wake()
        return peer.resource_id, answer

    async def watch(
        self, session_key: str, offer: Offer, *, client_ip: str, account: str | None, edge: str | None = None
    ) -> tuple[str, str]:
        """Take a viewer's offer; the viewer gets the stream's packets whenever someone publishes.

        ``edge`` names an edge relay pulling the stream (a relay pass): one viewer, outside the per-account and
        per-address limits, however many viewers it serves."""
        self._check_viewer_limits(client_ip=client_ip, account=account, edge=edge)
        if channel_language(session_key) is not None:
            return await self._watch_channel(session_key, offer, client_ip=client_ip, account=account, edge=edge)
        stream = self._stream(session_key)
        peer = Peer(
            secrets.token_urlsafe(16),
            RTCPeerConnection(rtc_configuration(self.settings)),
            client_ip,
            account=account,
            edge=edge,
        )
        stream.viewers[peer.resource_id] = peer
        for kind in offer.kinds:
            _send_to(peer, stream.fanout(kind))
        return peer.resource_id, await self._answer(session_key, peer, offer, functools.partial(self._drop, stream))

    # Interpretation channels: several interpreters, the on-air one forwarded as it speaks.

    async def _publish_channel(self, key: str, offer: Offer, *, client_ip: str, account: str | None) -> tuple[str, str]:
        if account is None:
            raise RelayError("an interpretation channel is published with an interpreter pass")
        if offer.kinds != ("audio",):
            raise OfferError("an interpretation channel carries audio only: offer one audio section, no video")
        if "opus" not in offer.audio_codecs:
            raise OfferError("an interpretation channel carries Opus: the audio section must offer opus")
        channel = self._channel(key)
        current = channel.publishers.get(account)
        if current is None and len(channel.publishers) >= MAX_INTERPRETERS:
            raise PublisherConflict(f"this channel has {MAX_INTERPRETERS} interpreters connected already")
        peer = Peer(
            secrets.token_urlsafe(16), RTCPeerConnection(rtc_configuration(self.settings)), client_ip, account=account
        )
        channel.publishers[account] = peer  # taken before any await: the newest connection of an account wins
        if current is not None:
            logger.info("channel %s: an interpreter connected again; the old connection gives way", key)
            await self._drop_from_channel(channel, current)
        transceiver = peer.pc.addTransceiver("audio", direction="recvonly")
        transceiver.setCodecPreferences(codec_capabilities("audio", ("audio/opus",)))
        answer = await self._answer(key, peer, offer, functools.partial(self._drop_from_channel, channel))
        if channel.publishers.get(account) is peer:
            frames_at_once(transceiver.receiver)
            tap_encoded_frames(transceiver.receiver, channel.listen_to(peer.resource_id, account))
        return peer.resource_id, answer

    async def _watch_channel(
        self, key: str, offer: Offer, *, client_ip: str, account: str | None, edge: str | None = None
    ) -> tuple[str, str]:
        if offer.kinds != ("audio",):
            raise OfferError("an interpretation channel carries audio only: offer one audio section, no video")
        channel = self._channel(key)
        peer = Peer(
            secrets.token_urlsafe(16),
            RTCPeerConnection(rtc_configuration(self.settings)),
            client_ip,
            account=account,
            edge=edge,
        )
        channel.viewers[peer.resource_id] = peer
        _send_to(peer, channel.fanout)
        return peer.resource_id, await self._answer(
            key, peer, offer, functools.partial(self._drop_from_channel, channel)
        )

    def set_on_air(self, key: str, account: str | None) -> None:
        """Forward ``account``'s audio on ``key`` from its next packet on (None: nobody; the channel is silent).

        Idempotent, and it may come before that interpreter connects: the relay keeps it until told otherwise."""
        if channel_language(key) is None:
            raise NotAChannel("not an interpretation channel")
        if account is None:
            self.on_air.pop(key, None)
        else:
            self.on_air[key] = account
        logger.info("channel %s: %s on air", key, "someone" if account else "nobody")

    async def _drop_from_channel(self, channel: Channel, peer: Peer) -> None:
        if peer.closed:
            return
        peer.closed = True
        if peer.account is not None and channel.publishers.get(peer.account) is peer:
            del channel.publishers[peer.account]
        channel.forget(peer.resource_id)
        channel.viewers.pop(peer.resource_id, None)
        if not channel.publishers and channel.recorder is not None:
            channel.recorder.stop()
        await _close_peer(peer)
        if channel.idle and self.channels.get(channel.key) is channel:
            del self.channels[channel.key]
            await channel.close()

    def _check_viewer_limits(self, *, client_ip: str, account: str | None, edge: str | None = None) -> None:
        settings = self.settings
        viewers = self._all_viewers()
        if len(viewers) >= settings.max_viewers:
            raise RelayFull("this relay is full; try again shortly")
        if edge is not None:
            return  # an edge relay: one viewer, whatever its address (edges may share one) and however many it serves
        if account is not None and sum(v.account == account for v in viewers) >= settings.max_viewers_per_account:
            raise TooManyViewers(f"at most {settings.max_viewers_per_account} streams per account at once")
        if sum(v.client_ip == client_ip for v in viewers) >= settings.max_viewers_per_ip:
            raise TooManyViewers(f"at most {settings.max_viewers_per_ip} streams per address at once")

    async def _answer(self, key: str, peer: Peer, offer: Offer, drop: Callable[[Peer], Awaitable[None]]) -> str:
        pc = peer.pc

        @pc.on("connectionstatechange")
        async def on_state() -> None:
            if pc.connectionState == "connected" and peer.connected_at is None:
                peer.connected_at = time.monotonic()
            elif pc.connectionState in ("failed", "closed"):
                await drop(peer)

        try:
            await pc.setRemoteDescription(RTCSessionDescription(sdp=offer.sdp, type="offer"))
            answer = await pc.createAnswer()
            await pc.setLocalDescription(
                RTCSessionDescription(sdp=answer_as_dtls_server(offer.sdp, answer.sdp), type="answer")
            )
        except Exception:
            await drop(peer)
            logger.warning("session %s: negotiating an offer failed", key, exc_info=True)
            raise OfferError("the offer could not be negotiated") from None  # never aiortc's internal text
        self._keep(asyncio.create_task(self._expire_unconnected(key, peer, drop)))
        return str(pc.localDescription.sdp)

    async def _expire_unconnected(self, key: str, peer: Peer, drop: Callable[[Peer], Awaitable[None]]) -> None:
        await asyncio.sleep(self.settings.connect_timeout)
        if peer.connected_at is None and not peer.closed:
            logger.info("session %s: a peer never connected; dropping it", key)
            await drop(peer)

    async def _drop(self, stream: Stream, peer: Peer) -> None:
        """Close one peer; the stream stays while it has a publisher or viewers."""
        if peer.closed:
            return
        peer.closed = True
        if stream.publisher is peer:
            stream.publisher = None
            await stream.video.detach()
            await stream.audio.detach()
            stream.source_left()
        stream.viewers.pop(peer.resource_id, None)
        await _close_peer(peer)
        await self._forget_if_idle(stream)

    async def unpublish(self, session_key: str, resource_id: str, *, account: str | None = None) -> bool:
        """End a publisher's connection; in a channel only the interpreter's own (``account``)."""
        channel = self.channels.get(session_key)
        if channel is not None:
            peer = channel.publisher(resource_id)
            if peer is not None and peer.account != account:
                peer = None
            if peer is not None:
                await self._drop_from_channel(channel, peer)
            return peer is not None
        stream = self.streams.get(session_key)
        if stream is None or stream.publisher is None or stream.publisher.resource_id != resource_id:
            return False
        await self._drop(stream, stream.publisher)
        return True

    async def leave(self, session_key: str, resource_id: str) -> bool:
        channel = self.channels.get(session_key)
        if channel is not None:
            listener = channel.viewers.get(resource_id)
            if listener is not None:
                await self._drop_from_channel(channel, listener)
            return listener is not None
        stream = self.streams.get(session_key)
        viewer = stream.viewers.get(resource_id) if stream is not None else None
        if stream is None or viewer is None:
            return False
        await self._drop(stream, viewer)
        return True

    async def stop_stream(self, session_key: str) -> bool:
        """An organiser's stop: disconnect the publisher (a channel's interpreters); viewers stay and see the stream go
        offline."""
        channel = self.channels.get(session_key)
        if channel is not None:
            interpreters = list(channel.publishers.values())
            for peer in interpreters:
                await self._drop_from_channel(channel, peer)
            return bool(interpreters)
        stream = self.streams.get(session_key)
        if stream is None or stream.publisher is None:
            return False
        await self._drop(stream, stream.publisher)
        return True

    async def play(self, session_key: str, stored_name: str) -> FilePlayback:
        """Play a file of the media folder once to the session's viewers, holding back its publisher meanwhile."""
        media_dir = self.settings.media_dir
        try:
            path = media_file(media_dir, stored_name)
            info = await asyncio.get_running_loop().run_in_executor(None, probe, path)
        except PlaybackError as exc:
            raise PlaybackRefused(str(exc)) from None
        stream = self._stream(session_key)
        if stream.playback is not None:
            raise PlaybackConflict("a recording is already playing in this session")
        playback = FilePlayback(path, info)
        stream.play(playback)
        logger.info("session %s: playing %s", session_key, path.name)
        if self.restreams is not None:
            self.restreams.wake()
        self._keep(asyncio.create_task(self._until_played(stream, playback)))
        return playback

    async def _until_played(self, stream: Stream, playback: FilePlayback) -> None:
        await playback.finished.wait()
        await asyncio.sleep(0.2)  # the last frames queued reach the encoder before the publisher comes back
        if stream.end_playback(playback):
            logger.info("session %s: the recording ended; the room goes on live", stream.session_key)
        await self._forget_if_idle(stream)

    async def stop_playback(self, session_key: str) -> bool:
        """A moderator's stop: the recording ends now, and the publisher, if any, goes on live."""
        stream = self.streams.get(session_key)
        if stream is None or stream.playback is None:
            return False
        stream.end_playback(stream.playback)
        await self._forget_if_idle(stream)
        return True

    async def _forget_if_idle(self, stream: Stream) -> None:
        if stream.idle and self.streams.get(stream.session_key) is stream:
            del self.streams[stream.session_key]
            self.renditions.stream_gone(stream)
            await stream.close()

    async def close(self) -> None:
        """Shut down. Each peer's ICE transport stops first, so no DTLS close reaches the clients: to them the relay
        vanished, as in a crash, and they reconnect to the next relay process. A deliberate drop (an organiser's
        stop, a DELETE) does close DTLS, which the studio takes as "stopped" and does not undo."""
        for watchdog in list(self._watchdogs):
            watchdog.cancel()
        if self.restreams is not None:
            await self.restreams.close()
        await self.hls.close()
        self.renditions.close()
        for stream in list(self.streams.values()):
            peers = [stream.publisher] if stream.publisher is not None else []
            for peer in peers + list(stream.viewers.values()):
                with contextlib.suppress(Exception):
                    await _stop_ice(peer.pc)
                with contextlib.suppress(Exception):
                    await self._drop(stream, peer)
            await stream.close()
        self.streams.clear()
        for channel in list(self.channels.values()):
            for peer in [*channel.publishers.values(), *channel.viewers.values()]:
                with contextlib.suppress(Exception):
                    await _stop_ice(peer.pc)
                with contextlib.suppress(Exception):
                    await self._drop_from_channel(channel, peer)
            await channel.close()
        self.channels.clear()
