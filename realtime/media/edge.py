"""Edge relays (``podium relay --edge``): a relay that ingests nothing and pulls each stream its viewers ask for
from the stream's origin, the relay that ingests it, as a WHEP client, once, whatever its number of viewers.

The pulled VP8 frames and Opus packets are taken from the pull's receivers as they arrive (``tap_encoded_frames``,
never decoded) and handed to the edge's own fan-out, as a VP8 publisher's are on the origin: an edge's viewer costs
what an origin's does. The origin is found by asking where the key is ingested (``find_origin``: the relay registry
in the database, ``server.relays``); the edge identifies itself with a relay pass signed with the deployment's
secret key (``server.streams.tokens.relay_pass``), which the origin admits as one viewer outside the per-account
and per-address limits.

- Keyframes: the edge's viewers' requests (joining, PLI/FIR) are spaced by the stream's pipeline
  (``keyframe_min_interval``) and sent to the origin as PLI on the pull, which passes them on to the publisher.
- Interpretation channels ("12_ja") are pulled audio-only the same way and heard as the origin's on-air voice; a
  played video address is what the origin's viewers get, so it travels in the pull unchanged.
- The pull stops ``edge_linger`` seconds after the stream's last viewer on the edge left.
- Refusals: no origin ingests the key, the origin cannot be reached, or it refuses the pass: the viewer gets 503
  with a message and Retry-After, and :attr:`EdgeRelay.message` says why for the organiser (the heartbeat writes
  it to the relay's ``RelayNode.message``). An origin lost mid-stream leaves the viewers connected, offline, while
  the edge pulls again every few seconds (from whichever relay then ingests the key).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import urljoin

import httpx
from aiortc import RTCPeerConnection, RTCRtpReceiver, RTCSessionDescription

from realtime.media.channels import Channel, channel_language
from realtime.media.config import RelaySettings
from realtime.media.ice import rtc_configuration
from realtime.media.internals import EncodedFrameHandler, frames_at_once, send_picture_loss, tap_encoded_frames
from realtime.media.offers import Offer
from realtime.media.playback import FilePlayback
from realtime.media.relay import (
    VIEWER_CODECS,
    NotAChannel,
    Peer,
    PlaybackRefused,
    Relay,
    RelayError,
    Stream,
    codec_capabilities,
)
from server.clock import utcnow
from server.db import Database
from server.relays.services import origin_of
from server.streams.tokens import relay_pass

logger = logging.getLogger(__name__)

PASS_SECONDS = 60  # a relay pass is shown once, when the pull is negotiated
RETRY_EVERY = 2.0  # seconds between pulls again after the origin was lost, while the edge has viewers
FOLLOW_EVERY = 3.0  # seconds between looks for a new origin of a pulled stream that has no media
SIGNALLING_TIMEOUT = 5.0  # for the origin's WHEP answer
PULL_FAILED = "this relay cannot pull the session from its origin now; try again shortly"
PULL_ACCOUNT = "relay:"  # a pulled channel's voice is this account followed by the origin's name


@dataclass(frozen=True)
class Origin:
    """The relay that ingests a stream: its registered name and where other processes reach it."""

    name: str
    url: str


OriginFinder = Callable[[str], Awaitable[Origin | None]]


def stored_origins(database: Database, settings: RelaySettings) -> OriginFinder:
    """Origins as the relay registry knows them: the fresh relay that ingests the key (``server.relays``)."""

    async def find(key: str) -> Origin | None:
        async with database.session() as db:
            node = await origin_of(db, key, now=utcnow(), dead_after=settings.dead_after)
        return Origin(node.name, node.internal_url) if node is not None else None

    return find


class OriginUnavailable(RelayError):
    """The edge cannot pull the stream now: the viewer is asked to come back (503, Retry-After)."""

    status = 503


class NotAnOrigin(RelayError):
    status = 403


class RtpClock:
    """A 32-bit RTP timestamp as a number that keeps rising across its wrap (the origin's starts anywhere)."""

    def __init__(self) -> None:
        self._last: int | None = None
        self._value = 0

    def unwrap(self, timestamp: int) -> int:
        if self._last is None:
            self._value = timestamp
        else:
            step = (timestamp - self._last) % 2**32
            self._value += step - 2**32 if step >= 2**31 else step
        self._last = timestamp
        return self._value


def unwrapped(on_frame: EncodedFrameHandler) -> EncodedFrameHandler:
    clock = RtpClock()

    def handle(codec: str, data: bytes, timestamp: int) -> None:
        on_frame(codec, data, clock.unwrap(timestamp))

    return handle


@dataclass(eq=False)
class Pull:
    """One stream pulled from its origin: the edge's WHEP connection as a publisher of its own stream."""

    key: str
    origin: Origin
    peer: Peer
    location: str  # the origin's WHEP resource, deleted when the pull stops


class EdgeRelay(Relay):
    """A relay that serves viewers from streams pulled from their origins; it records nothing and takes no
    publisher (the origin does both)."""

    def __init__(self, settings: RelaySettings, *, name: str, find_origin: OriginFinder) -> None:
        super().__init__(settings, record_switch=None)
        self.record_switch = None
        self.name = name
        self.find_origin = find_origin
        self.pulls: dict[str, Pull] = {}
        self.message = ""  # the latest reason a pull failed, for the organiser; empty once one succeeds
        self._starting: dict[str, asyncio.Future[None]] = {}
        self._lingering: dict[str, asyncio.TimerHandle] = {}
        self._retrying: set[str] = set()
        self._following: asyncio.Task[None] | None = None
        self._closing = False
        self._http = httpx.AsyncClient(timeout=SIGNALLING_TIMEOUT)

    # What viewers ask for.

    async def watch(
        self, session_key: str, offer: Offer, *, client_ip: str, account: str | None, edge: str | None = None
    ) -> tuple[str, str]:
        """Pull the stream if this edge does not carry it yet, then serve the viewer from the edge's fan-out."""
        self._check_viewer_limits(client_ip=client_ip, account=account, edge=edge)
        await self.ensure_pull(session_key)
        return await super().watch(session_key, offer, client_ip=client_ip, account=account, edge=edge)

    async def publish(
        self, session_key: str, offer: Offer, *, client_ip: str, account: str | None = None
    ) -> tuple[str, str]:
        raise NotAnOrigin("this relay is an edge: it pulls streams from their origin and takes no publisher")

    async def play(self, session_key: str, stored_name: str) -> FilePlayback:
        raise PlaybackRefused("this relay is an edge: recordings play on the session's origin relay")

    def set_on_air(self, key: str, account: str | None) -> None:
        raise NotAChannel("this relay is an edge: it forwards the voice on air at the channel's origin")

    def carried(self) -> list[str]:
        """The keys this edge pulls now (it has their media)."""
        return sorted(key for key, pull in self.pulls.items() if not pull.peer.closed)

    # Pulling.

    async def ensure_pull(self, key: str) -> None:
        """Return once the key is pulled and its connection to the origin is up; OriginUnavailable if it cannot be.

        Viewers arriving together wait for the same pull."""
        self._stop_lingering(key)
        if self._following is None and not self._closing:
            self._following = asyncio.create_task(self._follow_origins())
            self._keep(self._following)
        pull = self.pulls.get(key)
        if pull is not None and not pull.peer.closed:
            return
        starting = self._starting.get(key)
        if starting is None:
            starting = self._starting[key] = asyncio.ensure_future(self._pull(key))
            starting.add_done_callback(lambda _: self._starting.pop(key, None))
        await asyncio.shield(starting)

    async def _pull(self, key: str) -> None:
        try:
            origin = await self.find_origin(key)
        except Exception:
            logger.exception("edge: finding the origin of %s failed", key)
            self._note(f"could not look up the origin of stream {key} (is the database reachable?)")
            raise OriginUnavailable("this relay cannot find the session's origin now; try again shortly") from None
        if origin is None:
            self._note(f"no relay ingests stream {key} now")
            raise OriginUnavailable("this session is not live on any relay now; try again shortly")
        audio_only = channel_language(key) is not None
        pc = RTCPeerConnection(rtc_configuration(self.settings))
        receivers: dict[str, RTCRtpReceiver] = {}
        for kind in ("audio",) if audio_only else ("video", "audio"):
            transceiver = pc.addTransceiver(kind, direction="recvonly")
            transceiver.setCodecPreferences(codec_capabilities(kind, VIEWER_CODECS[kind]))
            receivers[kind] = transceiver.receiver
        answer = await self._ask_origin(key, origin, pc)
        if answer is None:
            await pc.close()
            raise OriginUnavailable(PULL_FAILED)
        sdp, location = answer
        peer = Peer(secrets.token_urlsafe(16), pc, origin.name, origin=origin.name)
        drop = self._take_pull(key, peer, receivers)
        pull = self.pulls[key] = Pull(key, origin, peer, location)

        @pc.on("connectionstatechange")
        async def on_state() -> None:
            if pc.connectionState == "connected" and peer.connected_at is None:
                peer.connected_at = time.monotonic()
            elif pc.connectionState in ("failed", "closed"):
                await drop(peer)

        try:
            await pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="answer"))
            async with asyncio.timeout(min(self.settings.connect_timeout, 10.0)):
                while pc.connectionState != "connected":
                    if peer.closed or pc.connectionState in ("failed", "closed"):
                        raise ConnectionError(pc.connectionState)
                    await asyncio.sleep(0.02)
        except (Exception, TimeoutError):
            logger.warning("edge: the media connection to origin %s for %s failed", origin.name, key, exc_info=True)
            await drop(peer)
            self._forget_pull(pull)
            self._note(f"no media connection to the origin relay {origin.name} for stream {key} (ICE or DTLS)")
            raise OriginUnavailable(PULL_FAILED) from None
        self.message = ""
        logger.info("edge: pulling %s from %s", key, origin.name)

    async def _ask_origin(self, key: str, origin: Origin, pc: RTCPeerConnection) -> tuple[str, str] | None:
        """POST the pull's offer to the origin's WHEP endpoint: its answer and resource, or None (and a message)."""
        await pc.setLocalDescription(await pc.createOffer())
        url = f"{origin.url.rstrip('/')}/whep/{key}"
        token = relay_pass(self.settings.secret_key, self.name, int(time.time()) + PASS_SECONDS)
        headers = {"Content-Type": "application/sdp", "Authorization": f"Bearer {token}"}
        try:
            response = await self._http.post(url, content=pc.localDescription.sdp, headers=headers)
        except httpx.HTTPError as exc:
            self._note(f"cannot reach the origin relay {origin.name} at {origin.url} ({type(exc).__name__})")
            return None
        if response.status_code in (401, 403):
            self._note(
                f"the origin relay {origin.name} refused this edge's relay pass ({response.status_code}): "
                "the relays must share PODIUM_SECRET_KEY"
            )
            return None
        if response.status_code != 201:
            detail = response.text.strip()[:120]
            self._note(f"the origin relay {origin.name} answered {response.status_code} for stream {key}: {detail}")
            return None
        return response.text, urljoin(url, response.headers.get("location", ""))

    def _take_pull(
        self, key: str, peer: Peer, receivers: dict[str, RTCRtpReceiver]
    ) -> Callable[[Peer], Awaitable[None]]:
        """Make the pull the stream's (or channel's) source before its media flows; returns how to drop it."""
        if channel_language(key) is not None:
            channel = self._channel(key)
            account = PULL_ACCOUNT + (peer.origin or "")
            peer.account = account
            channel.publishers[account] = peer
            self.on_air[key] = account
            frames_at_once(receivers["audio"])
            tap_encoded_frames(receivers["audio"], unwrapped(channel.listen_to(peer.resource_id, account)))
            return functools.partial(self._drop_from_channel, channel)
        stream = self._stream(key)
        stream.publisher = peer
        stream.publisher_has_audio = True
        video = receivers["video"]
        tap_encoded_frames(video, unwrapped(stream.video.forward(functools.partial(send_picture_loss, video))))
        frames_at_once(receivers["audio"])
        tap_encoded_frames(receivers["audio"], unwrapped(stream.audio.forward()))
        return functools.partial(self._drop, stream)

    def _forget_pull(self, pull: Pull) -> bool:
        """Forget ``pull`` if it is still the key's; the origin's resource is deleted in the background."""
        if self.pulls.get(pull.key) is not pull:
            return False
        del self.pulls[pull.key]
        if not self._closing:  # shutting down, the edge vanishes as in a crash (see Relay.close)
            self._keep(asyncio.create_task(self._delete_at_origin(pull)))
        return True

    async def _delete_at_origin(self, pull: Pull) -> None:
        if pull.location and not self._http.is_closed:
            with contextlib.suppress(httpx.HTTPError):
                await self._http.delete(pull.location)

    def _note(self, message: str) -> None:
        logger.warning("edge: %s", message)
        self.message = message

    # When a pull ends: the origin went (pull again while viewers stay), or the last viewer left (linger, stop).

    async def _drop(self, stream: Stream, peer: Peer) -> None:
        pull = self.pulls.get(stream.session_key)
        lost = pull is not None and pull.peer is peer and not peer.closed
        if lost and pull is not None:
            self._forget_pull(pull)
        await super()._drop(stream, peer)
        if lost and stream.viewers and not self._closing:
            self._pull_again(stream.session_key)

    async def _drop_from_channel(self, channel: Channel, peer: Peer) -> None:
        pull = self.pulls.get(channel.key)
        lost = pull is not None and pull.peer is peer and not peer.closed
        if lost and pull is not None:
            self._forget_pull(pull)
            if self.on_air.get(channel.key) == peer.account:
                del self.on_air[channel.key]
        await super()._drop_from_channel(channel, peer)
        if lost and channel.viewers and not self._closing:
            self._pull_again(channel.key)
        elif not lost and not channel.viewers and channel.key in self.pulls:
            self._linger(channel.key)

    async def _forget_if_idle(self, stream: Stream) -> None:
        if not stream.viewers and stream.session_key in self.pulls:
            self._linger(stream.session_key)
        await super()._forget_if_idle(stream)

    def _linger(self, key: str) -> None:
        if key not in self._lingering and not self._closing:
            loop = asyncio.get_running_loop()
            self._lingering[key] = loop.call_later(self.settings.edge_linger, self._linger_over, key)

    def _stop_lingering(self, key: str) -> None:
        handle = self._lingering.pop(key, None)
        if handle is not None:
            handle.cancel()

    def _linger_over(self, key: str) -> None:
        self._lingering.pop(key, None)
        self._keep(asyncio.create_task(self._stop_unwatched(key)))

    async def _stop_unwatched(self, key: str) -> None:
        await self.stop_pull(key)

    async def stop_pull(self, key: str) -> bool:
        """Stop pulling ``key`` unless viewers came back meanwhile."""
        pull = self.pulls.get(key)
        holder = self.channels.get(key) if channel_language(key) is not None else self.streams.get(key)
        if pull is None or (holder is not None and holder.viewers):
            return False
        logger.info("edge: no viewer of %s left; it is no longer pulled from %s", key, pull.origin.name)
        self._forget_pull(pull)
        if isinstance(holder, Channel):
            self.on_air.pop(key, None)
            await super()._drop_from_channel(holder, pull.peer)
        elif holder is not None:
            await super()._drop(holder, pull.peer)
        return True

    def _pull_again(self, key: str) -> None:
        if key not in self._retrying:
            self._retrying.add(key)
            self._keep(asyncio.create_task(self._retry(key)))

    async def _retry(self, key: str) -> None:
        try:
            while not self._closing:
                holder = self.channels.get(key) if channel_language(key) is not None else self.streams.get(key)
                if holder is None or not holder.viewers or key in self.pulls:
                    return
                with contextlib.suppress(OriginUnavailable):
                    await self.ensure_pull(key)
                    return
                await asyncio.sleep(RETRY_EVERY)
        finally:
            self._retrying.discard(key)

    async def _follow_origins(self) -> None:
        """A publisher that moved to another origin (its relay restarted elsewhere) leaves the old origin's stream
        without media: a pull silent that way goes to the key's new origin, and the edge's viewers stay."""
        while not self._closing:
            await asyncio.sleep(FOLLOW_EVERY)
            for key, pull in list(self.pulls.items()):
                channel = self.channels.get(key)
                stream = self.streams.get(key)
                if channel is not None:
                    last = channel.last_forwarded_at
                else:
                    last = stream.last_media_at() if stream is not None else None
                if last is not None and time.monotonic() - last < FOLLOW_EVERY:
                    continue
                try:
                    origin = await self.find_origin(key)
                except Exception:  # the registry cannot be read now: keep the pull as it is
                    logger.warning("edge: looking up the origin of %s failed", key, exc_info=True)
                    continue
                if origin is None or origin.name == pull.origin.name or self.pulls.get(key) is not pull:
                    continue
                logger.info(
                    "edge: %s moved from origin %s to %s; pulling it from there", key, pull.origin.name, origin.name
                )
                if channel is not None:
                    await self._drop_from_channel(channel, pull.peer)
                elif stream is not None:
                    await self._drop(stream, pull.peer)

    async def close(self) -> None:
        self._closing = True
        for handle in self._lingering.values():
            handle.cancel()
        self._lingering.clear()
        await super().close()
        self.pulls.clear()
        await self._http.aclose()
