"""The session's HLS through the app: the viewer pass names its playlist for those admitted (the floor; an
interpretation channel has none), the app serves what the relay wrote with cache headers, and a session with no HLS,
a guessed folder or a name the relay never writes is 404 with a message."""

from __future__ import annotations

import dataclasses

import httpx
import pytest

from server.app import create_app
from server.db import Database
from server.settings import Settings
from server.streams.hls import hls_folder, playlist_url
from tests.support.channels import run_channels
from tests.support.http import as_person
from tests.support.speaker_stage import Stage

pytestmark = pytest.mark.integration
JSON = {"Accept": "application/json"}


@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
async def test_the_viewer_pass_names_the_sessions_playlist(
    web: httpx.AsyncClient, settings: Settings, stage: Stage, database: Database
) -> None:
    async with database.session() as db:
        await run_channels(db, stage.event, stage.session, ("ja",))
    as_person(web, stage.people["delegate"])
    key = str(stage.session.id)

    watching = await web.get(stage.path("stream/pass"), headers=JSON)
    listening = await web.get(stage.path("stream/pass"), params={"channel": "ja"}, headers=JSON)

    assert watching.status_code == 200
    assert watching.json()["hls"] == playlist_url(settings.secret_key, key)
    assert listening.json()["hls"] is None  # interpretation is heard over WebRTC

    as_person(web, None)
    refused = await web.get(stage.path("stream/pass"), headers=JSON)
    assert refused.status_code == 401 and "hls" not in refused.json()  # the address goes to those admitted only


async def test_the_app_serves_hls_with_cache_headers_and_404_without(
    web: httpx.AsyncClient, settings: Settings, database: Database
) -> None:
    folder = hls_folder(settings.hls_dir, settings.secret_key, "7")
    folder.mkdir(parents=True)
    (folder / "index.m3u8").write_text("#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2.0,\n0a1b2c3d-17.ts\n")
    (folder / "0a1b2c3d-17.ts").write_bytes(b"G" + bytes(187))
    (folder / "index.m3u8.tmp").write_text("being written")
    url = playlist_url(settings.secret_key, "7")

    playlist = await web.get(url)
    segment = await web.get(url.replace("index.m3u8", "0a1b2c3d-17.ts"))

    assert playlist.status_code == 200 and playlist.text.startswith("#EXTM3U")
    assert playlist.headers["cache-control"] == "public, max-age=1"
    assert playlist.headers["content-type"].startswith("application/vnd.apple.mpegurl")
    assert segment.status_code == 200
    assert segment.headers["cache-control"] == "public, max-age=86400, immutable"
    assert segment.headers["content-type"] == "video/mp2t"
    for path in (
        playlist_url(settings.secret_key, "8"),  # a session with no HLS now
        "/hls/7-0123456789abcdef/index.m3u8",  # a guessed folder
        url.replace("index.m3u8", "index.m3u8.tmp"),  # a playlist being written
    ):
        missing = await web.get(path)
        assert missing.status_code == 404, path
        assert "This session has no HLS stream now." in missing.text
    for path in (url.replace("index.m3u8", "..%2F..%2Fpodium.db"), "/hls/..%2F..%2F/index.m3u8"):
        assert (await web.get(path)).status_code == 404, path  # never a file outside the folder

    off = create_app(dataclasses.replace(settings, hls=False), database, deliver_mail=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=off), base_url="http://podium.test") as client:
        assert (await client.get(url)).status_code == 404  # PODIUM_RELAY_HLS=0: no HLS served
