"""One restream push, in a process of its own: H.264/AAC packets read from stdin, muxed as FLV and published over
RTMP(S) with PyAV; what happens is written to stdout as JSON lines for the relay (realtime/media/restream.py).

A process, not a thread: FFmpeg's RTMP handshake holds Python's lock and can wait forever on a host that accepts
and never answers, which in the relay's process would stop every viewer's stream; here the relay simply kills it.
The address with its key comes on stdin, never on the command line (which other users of the machine can read).

stdin: frames of ``kind`` (1 byte) + ``length`` (4 bytes, big-endian) + payload. ``H``: JSON header (``address``,
``video`` and ``audio`` codec parameters, base64 extradata, time bases); ``V``/``A``: ``pts``, ``dts`` (8 bytes
each, signed) + ``keyframe`` (1 byte) + the packet. stdout: ``{"event": "connecting"|"live"|"sent"|"failed", …}``.
"""

from __future__ import annotations

import base64
import contextlib
import json
import socket
import struct
import sys
import time
from typing import Any, BinaryIO
from urllib.parse import urlsplit

import av

from realtime.media.rendition import AudioParameters, VideoParameters, add_streams
from server.restreams.keys import masked

PACKET_HEAD = struct.Struct(">qqB")
FRAME_HEAD = struct.Struct(">cI")
CONNECT_TIMEOUT = 5.0
REFUSED_WITHIN = 2.0  # closed this soon after the publish began: the target refused the key (live only after it)
REPORT_EVERY = 1.0
DEFAULT_PORTS = {"rtmp": 1935, "rtmps": 443}


def frame(kind: bytes, payload: bytes) -> bytes:
    return FRAME_HEAD.pack(kind, len(payload)) + payload


def packet_frame(kind: bytes, *, pts: int, dts: int, keyframe: bool, data: bytes) -> bytes:
    return frame(kind, PACKET_HEAD.pack(pts, dts, 1 if keyframe else 0) + data)


def _say(event: str, **fields: Any) -> None:
    sys.stdout.write(json.dumps({"event": event, **fields}) + "\n")
    sys.stdout.flush()


def _read_frame(source: BinaryIO) -> tuple[bytes, bytes] | None:
    head = source.read(FRAME_HEAD.size)
    if len(head) < FRAME_HEAD.size:
        return None
    kind, length = FRAME_HEAD.unpack(head)
    payload = source.read(length)
    return (kind, payload) if len(payload) == length else None


def scrubbed(text: str, address: str) -> str:
    """``text`` (an FFmpeg error may quote the address) without the stream key, which ends the address."""
    key = address.rstrip("/").rpartition("/")[2]
    return text.replace(key, masked(key)) if key else text


def reachable(address: str) -> str:
    """ "" when a TCP connection to the address's host opens, else why not."""
    parts = urlsplit(address)
    port = parts.port or DEFAULT_PORTS.get(parts.scheme.lower(), 1935)
    try:
        with socket.create_connection((parts.hostname or "", port), timeout=CONNECT_TIMEOUT):
            return ""
    except OSError as exc:
        return exc.strerror or type(exc).__name__


def _add_streams(output: Any, header: dict[str, Any]) -> tuple[Any, Any]:
    """The rendition's two streams, with its SPS/PPS and AudioSpecificConfig, in the FLV container."""
    video = header["video"]
    audio = header.get("audio")
    return add_streams(
        output,
        VideoParameters(
            width=int(video["width"]), height=int(video["height"]), extradata=base64.b64decode(video["extradata"])
        ),
        AudioParameters(extradata=base64.b64decode(audio["extradata"])) if audio else None,
    )


def push(source: BinaryIO) -> int:
    first = _read_frame(source)
    if first is None or first[0] != b"H":
        _say("failed", phase="input", error="no header")
        return 2
    header = json.loads(first[1])
    address = header["address"]
    _say("connecting")
    problem = reachable(address)
    if problem:
        _say("failed", phase="connect", error=scrubbed(problem, address))
        return 1
    output = av.open(address, mode="w", format="flv")
    streams = dict(zip((b"V", b"A"), _add_streams(output, header), strict=True))
    started: float | None = None
    live = False
    sent, last_report = 0, time.monotonic()
    try:
        while True:
            item = _read_frame(source)
            if item is None:
                break
            kind, payload = item
            stream = streams.get(kind)
            if stream is None:
                continue
            pts, dts, keyframe = PACKET_HEAD.unpack_from(payload)
            packet = av.Packet(payload[PACKET_HEAD.size :])
            packet.stream = stream
            packet.pts, packet.dts, packet.time_base = pts, dts, stream.time_base
            packet.is_keyframe = bool(keyframe)
            if started is None:
                started = time.monotonic()  # the first packet opens the connection and publishes
            output.mux(packet)
            sent += packet.size
            now = time.monotonic()
            if not live and now - started >= REFUSED_WITHIN:
                live = True
                _say("live")
            if now - last_report >= REPORT_EVERY:
                _say("sent", bytes=sent)
                last_report = now
    except (OSError, av.FFmpegError) as exc:
        refused = started is None or time.monotonic() - started < REFUSED_WITHIN
        _say("failed", phase="publish" if refused else "push", error=scrubbed(str(exc), address)[:200])
        return 1
    finally:
        with contextlib.suppress(OSError, av.FFmpegError):
            output.close()
    _say("sent", bytes=sent)
    return 0


def main() -> int:
    try:
        return push(sys.stdin.buffer)
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
