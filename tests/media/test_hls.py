"""HLS for crowds and blocked networks: a live session's playlist and two-second segments, written by the relay in
an unguessable folder, that play (decode), old ones removed, the playlist ended after the session."""

from __future__ import annotations

import time
from pathlib import Path

import av
import httpx
import pytest

from realtime.media import hls
from realtime.media.config import RelaySettings
from realtime.media.relay import Relay
from realtime.media.status import stream_status
from server.streams.hls import PLAYLIST, hls_folder, hls_folder_name, playlist_url
from server.streams.tokens import PublishTokens
from tests.media.clients import publish, wait_connected
from tests.media.synthetic import HEIGHT, WIDTH, PatternTrack, ToneTrack
from tests.support.media import SECRET, wait_for

SESSION = "12"


@pytest.fixture
def settings(tmp_path: Path) -> RelaySettings:
    return RelaySettings(
        secret_key=SECRET,
        host_addresses=("127.0.0.1",),
        connect_timeout=10.0,
        signalling_per_ip_per_minute=1000,
        media_dir=tmp_path,
        hls=True,
    )


def playlist_segments(text: str) -> list[str]:
    return [line for line in text.splitlines() if line and not line.startswith("#")]


def test_the_folder_is_named_by_the_key_and_a_mac_nobody_can_guess() -> None:
    name = hls_folder_name(SECRET, SESSION)
    assert name.startswith("12-") and len(name) == len("12-") + 16
    assert hls_folder_name(SECRET, SESSION) == name  # every viewer and cache gets the same address
    assert hls_folder_name("another secret", SESSION) != name
    assert hls_folder_name(SECRET, "13") != name.replace("12", "13")
    assert playlist_url(SECRET, SESSION) == f"/hls/{name}/index.m3u8"


@pytest.mark.slow
async def test_a_live_session_gets_a_playlist_and_segments_that_play_within_ten_seconds(
    live_client: httpx.AsyncClient,
    tokens: PublishTokens,
    relay: Relay,
    settings: RelaySettings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(hls, "LIST_SIZE", 2)  # a short playlist, so old segments go within the test
    monkeypatch.setattr(hls, "KEEP_AFTER_LIST", 1)
    folder = hls_folder(settings.hls_folder, SECRET, SESSION)
    publisher = await publish(live_client, f"/whip/{SESSION}", tokens.token(SESSION), PatternTrack(), ToneTrack(440))
    went_live = time.monotonic()
    await wait_connected(publisher.pc)

    def ready() -> bool:
        playlist = folder / PLAYLIST
        return playlist.is_file() and len(playlist_segments(playlist.read_text())) >= 1

    await wait_for(ready, timeout=10.0)
    assert time.monotonic() - went_live < 10.0
    status = stream_status(relay, SESSION).hls
    assert status is not None and status["state"] == "writing"
    assert status["playlist"] == playlist_url(SECRET, SESSION)

    first_segment = folder / playlist_segments((folder / PLAYLIST).read_text())[0]
    try:
        await wait_for(lambda: not first_segment.exists(), timeout=20.0)  # 2 listed + 1 kept: the oldest removed
    except TimeoutError:
        on_disk = sorted(path.name for path in folder.iterdir())
        raise AssertionError(f"{first_segment.name} was not removed: {on_disk}") from None
    text = (folder / PLAYLIST).read_text()
    assert "#EXT-X-TARGETDURATION:2" in text
    assert "#EXT-X-ENDLIST" not in text
    listed = playlist_segments(text)
    assert len(listed) == 2
    assert len(list(folder.glob("*.ts"))) <= 2 + 1 + 1  # what is listed, kept, and being written at most
    assert not list(folder.glob("*.tmp"))  # a segment appears whole, renamed once written

    segment = folder / listed[-2]
    with av.open(str(segment)) as container:
        assert container.streams.video[0].codec_context.name == "h264"
        assert container.streams.audio[0].codec_context.name == "aac"
        decoded = list(container.decode(*container.streams))
    pictures = [frame for frame in decoded if isinstance(frame, av.VideoFrame)]
    assert (pictures[0].width, pictures[0].height) == (WIDTH, HEIGHT)
    assert len(pictures) >= 5  # pictures (up to 60: a loaded machine's encoder skips some)
    assert len(decoded) - len(pictures) >= 1.5 * 48_000 / 1024  # and two seconds of sound
    durations = [float(line.split(":")[1].rstrip(",")) for line in text.splitlines() if line.startswith("#EXTINF")]
    assert all(1.5 <= duration <= 2.6 for duration in durations), durations  # two-second segments

    await publisher.close()
    await wait_for(lambda: stream_status(relay, SESSION).hls is None, timeout=15.0)
    assert "#EXT-X-ENDLIST" in (folder / PLAYLIST).read_text()  # players learn that the session ended
    assert relay.renditions.get(SESSION) is None  # nobody consumes the rendition: it stopped


@pytest.mark.slow
async def test_hls_that_cannot_be_written_says_why_and_the_viewers_go_on(
    live_client: httpx.AsyncClient, tokens: PublishTokens, relay: Relay, settings: RelaySettings
) -> None:
    settings.hls_folder.parent.mkdir(parents=True, exist_ok=True)
    settings.hls_folder.write_text("not a folder")  # as good as a disk that refuses every write
    publisher = await publish(live_client, f"/whip/{SESSION}", tokens.token(SESSION), PatternTrack(), ToneTrack(440))
    await wait_connected(publisher.pc)

    def failed() -> bool:
        hls = stream_status(relay, SESSION).hls
        return hls is not None and hls["state"] == "failed"

    await wait_for(failed, timeout=10.0)
    hls = stream_status(relay, SESSION).hls
    assert hls is not None and hls["message"]
    assert stream_status(relay, SESSION).live  # the stream itself goes on
    await publisher.close()
