"""Status for moderators: per session live or offline, viewers, bitrate and the publisher's connection, and the
relay's own recording of the stream (``recording``: realtime/media/recorder.py's state, bytes written, why it
stopped).

In one process the app calls :func:`stream_status` directly; a separate relay process answers the same as JSON to
holders of the control token, lets organisers stop a stream, and plays and stops recordings
(``POST``/``DELETE /relay/streams/{key}/playback``).

An interpretation channel ("12_ja") answers :class:`ChannelStatus` instead (live, on air, interpreters connected,
listeners), ``GET /relay/live`` lists the floor keys with media now (the session phases' one bulk call), and
``PUT /relay/channels/{key}/on-air`` with ``{"account": "a12"}`` or ``{"account": null}`` chooses
whose audio its listeners hear.
"""

from __future__ import annotations

import hmac
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from realtime.media.channels import Channel, channel_language
from realtime.media.recorder import Recorder
from realtime.media.relay import LIVE_WITHIN, Relay, Stream
from realtime.media.signalling import SignallingError, media_context, require_bearer, session_key, signalling
from server.streams.tokens import control_token


@dataclass(frozen=True)
class StreamStatus:
    session_key: str
    live: bool
    viewers: int
    bitrate: int  # bits per second sent to each viewer (video and audio)
    publisher_state: str | None  # new, connecting, connected, failed, closed; None without a publisher
    publisher_since: float | None  # seconds the publisher has been connected
    mode: str | None  # "forward" (VP8 as sent), "transcode" (decoded and encoded once) or "playback" (a recording)
    width: int
    height: int
    frames_in: int
    frames_dropped: int  # decoded frames the encoder could not keep up with (transcoding only)
    keyframes: int
    viewer_skips: int  # times a slow viewer skipped to the next keyframe
    keyframe_requests: int  # PLI/FIR from viewers
    position: float | None = None  # seconds of the recording played, while one plays
    duration: float | None = None  # the recording's length, while one plays
    recording: str | None = None  # the relay's own recording of the stream (RecorderState); None: not recorded
    recording_bytes: int = 0  # written by this relay process since the stream began
    recording_message: str = ""  # why it stopped (a full disk, a write error)
    origin: str | None = None  # on an edge relay: the origin relay the stream is pulled from
    edge: int = 0  # edge relays pulling the stream from this relay, each one of ``viewers``
    # The session's HLS (realtime/media/hls.py): playlist URL, state (starting, writing, failed), segments on disk,
    # message; None while this relay writes none.
    hls: dict[str, object] | None = None
    # Pushes to the session's restream targets (realtime/media/restream.py): id, label, state, bitrate, message.
    restreams: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, object]:
        return asdict(self)


def _status(stream: Stream | None, key: str, relay: Relay | None = None) -> StreamStatus:
    hls = relay.hls.status(key) if relay is not None else None
    restreams = relay.restreams.statuses(key) if relay is not None and relay.restreams is not None else []
    if stream is None:
        return StreamStatus(key, False, 0, 0, None, None, None, 0, 0, 0, 0, 0, 0, 0, hls=hls, restreams=restreams)
    now = time.monotonic()
    publisher = stream.publisher
    last = stream.last_media_at()
    tracks = [track for viewer in stream.viewers.values() for track in viewer.tracks]
    playback = stream.playback
    return StreamStatus(
        session_key=key,
        live=publisher is not None and last is not None and now - last < LIVE_WITHIN,
        viewers=len(stream.viewers),
        bitrate=stream.video.fanout.bitrate() + stream.audio.fanout.bitrate(),
        publisher_state=publisher.state if publisher is not None else None,
        publisher_since=round(now - publisher.connected_at, 1) if publisher and publisher.connected_at else None,
        mode=stream.video.mode,
        width=stream.video.width,
        height=stream.video.height,
        frames_in=stream.video.frames_in,
        frames_dropped=stream.video.frames_dropped,
        keyframes=stream.video.keyframes,
        viewer_skips=sum(track.skips for track in tracks),
        keyframe_requests=sum(track.keyframe_requests for track in tracks),
        position=round(playback.position, 1) if playback is not None else None,
        duration=round(playback.duration, 1) if playback is not None and playback.duration is not None else None,
        **_recording(stream.recorder),
        origin=publisher.origin if publisher is not None else None,
        edge=sum(viewer.edge is not None for viewer in stream.viewers.values()),
        hls=hls,
        restreams=restreams,
    )


def _recording(recorder: Recorder | None) -> dict[str, Any]:
    if recorder is None:
        return {}
    state = recorder.state
    return {
        "recording": state.value if state is not None else None,
        "recording_bytes": recorder.bytes,
        "recording_message": recorder.message,
    }


@dataclass(frozen=True)
class ChannelStatus:
    session_key: str
    live: bool  # the on-air interpreter's audio is flowing
    on_air: str | None  # the account whose audio listeners hear
    publishers: list[str]  # interpreters connected, by account
    viewers: int  # listeners
    bitrate: int  # bits per second sent to each listener
    packets: int  # audio packets forwarded to the listeners
    switches: int  # times the voice listeners hear changed
    recording: str | None = None  # as for the floor (StreamStatus)
    recording_bytes: int = 0
    recording_message: str = ""
    origin: str | None = None  # as for the floor
    edge: int = 0

    def as_json(self) -> dict[str, object]:
        return asdict(self)


def _channel_status(relay: Relay, channel: Channel | None, key: str) -> ChannelStatus:
    on_air = relay.on_air.get(key)
    if channel is None:
        return ChannelStatus(key, False, on_air, [], 0, 0, 0, 0)
    last = channel.last_forwarded_at
    return ChannelStatus(
        session_key=key,
        live=on_air in channel.publishers and last is not None and time.monotonic() - last < LIVE_WITHIN,
        on_air=on_air,
        publishers=sorted(channel.publishers),
        viewers=len(channel.viewers),
        bitrate=channel.fanout.bitrate(),
        packets=channel.forwarded,
        switches=channel.timeline.switches,
        **_recording(channel.recorder),
        origin=next((peer.origin for peer in channel.publishers.values() if peer.origin), None),
        edge=sum(viewer.edge is not None for viewer in channel.viewers.values()),
    )


def stream_status(relay: Relay, session_key: str) -> StreamStatus:
    return _status(relay.streams.get(session_key), session_key, relay)


def channel_status(relay: Relay, channel_key: str) -> ChannelStatus:
    return _channel_status(relay, relay.channels.get(channel_key), channel_key)


def any_status(relay: Relay, key: str) -> StreamStatus | ChannelStatus:
    """The floor's status for a session's key, a channel's for a channel's key."""
    return channel_status(relay, key) if channel_language(key) is not None else stream_status(relay, key)


def on_air_keys(relay: Relay) -> list[str]:
    """The floor keys whose viewers get media now: a publisher sending (within ``LIVE_WITHIN``) or a recording
    playing. What the app's session phases call "the relay has media" (server/phases), for every session at once."""
    return [key for key, stream in sorted(relay.streams.items()) if stream.on_air()]


def all_statuses(relay: Relay) -> list[StreamStatus]:
    return [_status(stream, key, relay) for key, stream in sorted(relay.streams.items())]


def all_channel_statuses(relay: Relay) -> list[ChannelStatus]:
    keys = sorted(set(relay.channels) | set(relay.on_air))
    return [channel_status(relay, key) for key in keys]


def _require_control(request: Request) -> None:
    token = require_bearer(request, "podium-relay")
    expected = control_token(media_context(request).settings.secret_key)
    if not hmac.compare_digest(token.encode("utf-8"), expected.encode("utf-8")):
        raise SignallingError(403, "the control token is not valid")


@signalling
async def statuses(request: Request) -> Response:
    _require_control(request)
    relay = media_context(request).relay
    return JSONResponse(
        {
            "streams": [s.as_json() for s in all_statuses(relay)],
            "channels": [c.as_json() for c in all_channel_statuses(relay)],
            "viewers": relay.viewer_count(),
        }
    )


@signalling
async def live_keys(request: Request) -> Response:
    """``{"live": ["12", …]}``: every floor key with media now, in one call however many sessions run."""
    _require_control(request)
    return JSONResponse({"live": on_air_keys(media_context(request).relay)})


@signalling
async def one_status(request: Request) -> Response:
    key = session_key(request)
    _require_control(request)
    return JSONResponse(any_status(media_context(request).relay, key).as_json())


@signalling
async def stop(request: Request) -> Response:
    key = session_key(request)
    _require_control(request)
    if not await media_context(request).relay.stop_stream(key):
        raise SignallingError(404, "this session has no publisher")
    return Response(status_code=204)


@signalling
async def playback(request: Request) -> Response:
    """POST ``{"file": stored_name}`` plays a recording of the media folder; DELETE stops the one playing."""
    key = session_key(request)
    _require_control(request)
    relay = media_context(request).relay
    if request.method == "DELETE":
        if not await relay.stop_playback(key):
            raise SignallingError(404, "no recording is playing in this session")
        return Response(status_code=204)
    try:
        body = await request.json()
    except ValueError:
        body = None
    stored_name = body.get("file") if isinstance(body, dict) else None
    if not isinstance(stored_name, str) or not stored_name:
        raise SignallingError(400, 'send {"file": "<stored name>"} as JSON')
    await relay.play(key, stored_name)
    return JSONResponse(stream_status(relay, key).as_json(), status_code=201)


MAX_ACCOUNT = 128  # characters of an account name (the app's are "a<id>")


@signalling
async def on_air(request: Request) -> Response:
    """PUT ``{"account": "a12"}`` puts that interpreter on air in the channel, ``{"account": null}`` nobody."""
    key = session_key(request)
    _require_control(request)
    if channel_language(key) is None:
        raise SignallingError(404, "not an interpretation channel")
    try:
        body = await request.json()
    except ValueError:
        body = None
    account = body.get("account", ...) if isinstance(body, dict) else ...
    valid = isinstance(account, str) and 0 < len(account) <= MAX_ACCOUNT and account.isprintable()
    if account is not None and not valid:
        raise SignallingError(400, f'send {{"account": "<account>"}} (at most {MAX_ACCOUNT} characters) or null')
    relay = media_context(request).relay
    relay.set_on_air(key, account if isinstance(account, str) else None)
    return JSONResponse(channel_status(relay, key).as_json())


routes = [
    Route("/relay/status", statuses, methods=["GET"], name="relay_statuses"),
    Route("/relay/live", live_keys, methods=["GET"], name="relay_live"),
    Route("/relay/status/{session_key}", one_status, methods=["GET"], name="relay_status"),
    Route("/relay/streams/{session_key}/stop", stop, methods=["POST"], name="relay_stop"),
    Route("/relay/streams/{session_key}/playback", playback, methods=["POST", "DELETE"], name="relay_playback"),
    Route("/relay/channels/{session_key}/on-air", on_air, methods=["PUT"], name="relay_on_air"),
]
