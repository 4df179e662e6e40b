"""Fails loudly when an aiortc or aioice upgrade changes the internals the relay relies on."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from realtime.media import internals
from realtime.media.relay import Relay
from server.streams.tokens import PublishTokens, viewer_pass
from tests.media.clients import publish, video_frames, watch
from tests.media.synthetic import PatternTrack
from tests.support.media import SECRET


@pytest.mark.unit
def test_pinned_internals_are_all_still_there() -> None:
    assert internals.problems() == []


@pytest.mark.unit
def test_host_addresses_are_restricted_and_restored() -> None:
    import aioice.ice

    internals.restrict_host_addresses(["127.0.0.1", "::1"])
    assert aioice.ice.get_host_addresses(use_ipv4=True, use_ipv6=False) == ["127.0.0.1"]
    internals.restrict_host_addresses([])
    assert "127.0.0.1" not in aioice.ice.get_host_addresses(use_ipv4=True, use_ipv6=False)


@pytest.mark.integration
async def test_viewer_pli_reaches_the_publisher(
    live_client: httpx.AsyncClient, tokens: PublishTokens, relay: Relay
) -> None:
    publisher = await publish(live_client, "/whip/talk", tokens.token("talk"), PatternTrack())
    viewer = await watch(live_client, "/whep/talk", viewer_pass(SECRET, "talk", "d", expires_at=int(time.time()) + 60))
    await video_frames(viewer.tracks["video"], seconds=1.5)
    stream = relay.streams["talk"]
    keyframes = stream.video.keyframes
    receiver = viewer.pc.getReceivers()[0]
    media_ssrc = receiver.getSynchronizationSources()[0].source

    await receiver._send_rtcp_pli(media_ssrc)  # what a viewer's decoder does after losing a picture
    await asyncio.sleep(0.8)

    track = next(iter(stream.video.fanout.tracks))
    assert track.keyframe_requests == 1
    assert stream.video.keyframes > keyframes
    for peer in (publisher, viewer):
        await peer.close()


@pytest.mark.unit
def test_encoded_frame_tap_hands_frames_over_survives_errors_and_stops() -> None:
    from types import SimpleNamespace

    seen: list[tuple[str, bytes, int]] = []

    def on_frame(codec: str, data: bytes, timestamp: int) -> None:
        if data == b"bad":
            raise ValueError("a broken frame")
        seen.append((codec, data, timestamp))

    receiver = SimpleNamespace()
    internals.tap_encoded_frames(receiver, on_frame)  # type: ignore[arg-type]
    tap = receiver._RTCRtpReceiver__decoder_queue
    vp8 = SimpleNamespace(name="VP8")

    tap.put((vp8, SimpleNamespace(data=b"bad", timestamp=0)))
    tap.put((vp8, SimpleNamespace(data=b"good", timestamp=3000)))
    tap.put(None)  # what stopping the receiver sends its decoder thread

    assert seen == [("VP8", b"good", 3000)]
    assert tap.get() is None  # the idle decoder thread is released


@pytest.mark.unit
def test_an_interpreters_opus_packets_reach_the_on_air_listeners_as_they_are() -> None:
    from types import SimpleNamespace

    from realtime.media.channels import Channel
    from realtime.media.config import RelaySettings

    on_air = {"12_ja": "a1"}
    channel = Channel("12_ja", RelaySettings(secret_key=SECRET), lambda: on_air.get("12_ja"))
    listener = channel.fanout.subscribe()
    listener.started = True  # as once the listener's sender asks for media
    speaking, waiting = SimpleNamespace(), SimpleNamespace()
    internals.tap_encoded_frames(speaking, channel.listen_to("r1", "a1"))  # type: ignore[arg-type]
    internals.tap_encoded_frames(waiting, channel.listen_to("r2", "a2"))  # type: ignore[arg-type]
    opus = SimpleNamespace(name="opus")

    for n in range(3):
        speaking._RTCRtpReceiver__decoder_queue.put((opus, SimpleNamespace(data=b"one%d" % n, timestamp=960 * n)))
        waiting._RTCRtpReceiver__decoder_queue.put((opus, SimpleNamespace(data=b"two%d" % n, timestamp=5000 + n)))
    on_air["12_ja"] = "a2"
    waiting._RTCRtpReceiver__decoder_queue.put((opus, SimpleNamespace(data=b"two3", timestamp=5960)))
    waiting._RTCRtpReceiver__decoder_queue.put((opus, SimpleNamespace(data=b"two4", timestamp=6920)))

    sent = list(listener._queue)
    assert [frame.chunks for frame in sent] == [(b"one0",), (b"one1",), (b"one2",), (b"two3",), (b"two4",)]
    assert [frame.timestamp for frame in sent] == [0, 960, 1920, 2880, 3840]  # one voice after the other, no gap


@pytest.mark.unit
def test_an_interpreters_packets_go_on_as_they_arrive_in_order() -> None:
    from types import SimpleNamespace

    receiver = SimpleNamespace()
    internals.frames_at_once(receiver)  # type: ignore[arg-type]
    buffer = receiver._RTCRtpReceiver__jitter_buffer

    def add(sequence: int) -> bytes | None:
        packet = SimpleNamespace(sequence_number=sequence, timestamp=sequence * 960, _data=b"%d" % sequence)
        pli, frame = buffer.add(packet)
        assert pli is False
        return None if frame is None else bytes(frame.data)

    handed = [add(n) for n in (65534, 65535, 0, 65535, 2, 1, 2, 3)]  # across the wrap; one late, one repeated

    assert handed == [b"65534", b"65535", b"0", None, b"2", None, None, b"3"]


@pytest.mark.unit
def test_vp8_keyframe_size_reads_the_frame_header() -> None:
    from realtime.media.ingest import vp8_keyframe_size

    keyframe = bytes([0x50, 0x42, 0x00]) + b"\x9d\x01\x2a" + (640).to_bytes(2, "little") + (360).to_bytes(2, "little")

    assert vp8_keyframe_size(keyframe) == (640, 360)
    assert vp8_keyframe_size(bytes([0x51]) + keyframe[1:]) is None  # an interframe
    assert vp8_keyframe_size(b"\x50") is None
