"""The pre-recorded video address over HTTP: organisers upload, replace, schedule and delete it; moderators press
Play and Stop on a real embedded relay; the scheduler of several app processes starts it exactly once."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlmodel import select

from realtime.live.asgi import create_asgi
from realtime.media.relay import Relay
from server.db import Database
from server.settings import Settings
from server.streams.models import Recording
from tests.media.recordings import make_video
from tests.support.http import ORIGIN, as_person, csrf
from tests.support.speaker_stage import Stage


@pytest.fixture
def settings(settings: Settings, tmp_path: Path) -> Settings:
    return replace(settings, media_dir=tmp_path / "media")


@pytest.fixture
def video(tmp_path: Path) -> bytes:
    return make_video(tmp_path / "address.mp4", seconds=2).read_bytes()


def media_files(settings: Settings) -> list[str]:
    return sorted(path.name for path in settings.media_dir.iterdir()) if settings.media_dir.exists() else []


async def recording(database: Database, stage: Stage) -> Recording | None:
    async with database.session() as db:
        return (await db.exec(select(Recording).where(Recording.session_id == stage.session.id))).first()


async def upload(
    client: httpx.AsyncClient, stage: Stage, content: bytes, *, name: str = "Address.mp4", json: bool = False
) -> httpx.Response:
    return await client.post(
        stage.path("recording"),
        data={"csrf_token": await csrf(client)},
        files={"video": (name, content, "video/mp4")},
        headers={"Accept": "application/json"} if json else {},
    )


async def test_an_organiser_uploads_a_video_that_plays_at_the_sessions_start(
    web: httpx.AsyncClient, stage: Stage, database: Database, settings: Settings, video: bytes
) -> None:
    as_person(web, stage.people["organiser"])

    response = await upload(web, stage, video, name="Congratulatory address.mp4")

    assert response.status_code == 303
    assert response.headers["location"] == stage.path("recording") + "?done=uploaded"
    stored = await recording(database, stage)
    assert stored is not None
    assert (stored.filename, stored.size_bytes, stored.play_at) == (
        "Congratulatory address.mp4",
        len(video),
        stage.session.start,
    )
    assert stored.duration_seconds == pytest.approx(2.0, abs=0.1)
    assert media_files(settings) == [stored.stored_name]
    assert (settings.media_dir / stored.stored_name).read_bytes() == video
    page = await web.get(response.headers["location"])
    assert "Congratulatory address.mp4" in page.text
    assert page.headers["cache-control"] == "private, no-store"


@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
async def test_a_file_name_with_a_nul_or_control_characters_is_kept_readable(
    web: httpx.AsyncClient, stage: Stage, database: Database, video: bytes
) -> None:
    as_person(web, stage.people["organiser"])
    boundary = "podium-raw-form"  # written by hand: httpx would percent-encode the name's control characters
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{await csrf(web)}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="video"; filename="Opening\x00address\t2021.mp4"\r\n'
            "Content-Type: video/mp4\r\n\r\n"
        ).encode()
        + video
        + f"\r\n--{boundary}--\r\n".encode()
    )

    response = await web.post(
        stage.path("recording"),
        content=body,
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}", "Accept": "application/json"},
    )
    stored = await recording(database, stage)

    assert response.status_code == 201
    assert stored is not None and stored.filename == "Opening address 2021.mp4"


async def test_uploading_again_replaces_the_file_and_delete_removes_it(
    web: httpx.AsyncClient, stage: Stage, database: Database, settings: Settings, video: bytes, tmp_path: Path
) -> None:
    as_person(web, stage.people["organiser"])
    first = await upload(web, stage, video, json=True)
    first_name = (await recording(database, stage)).stored_name  # type: ignore[union-attr]

    longer = make_video(tmp_path / "longer.mp4", seconds=3, audio=False).read_bytes()
    second = await upload(web, stage, longer, name="longer.mp4", json=True)

    assert (first.status_code, second.status_code) == (201, 201)
    assert second.json()["filename"] == "longer.mp4"
    assert second.json()["duration"] == pytest.approx(3.0, abs=0.1)
    stored = await recording(database, stage)
    assert stored is not None and stored.stored_name != first_name
    assert media_files(settings) == [stored.stored_name]

    deleted = await web.post(stage.path("recording/delete"), data={"csrf_token": await csrf(web)})

    assert deleted.status_code == 303
    assert await recording(database, stage) is None
    assert media_files(settings) == []


@pytest.mark.parametrize("who", ["moderator", "speaker", "delegate", "other_moderator", None])
async def test_only_the_events_organisers_may_upload(
    web: httpx.AsyncClient, stage: Stage, database: Database, settings: Settings, video: bytes, who: str | None
) -> None:
    as_person(web, stage.people[who] if who else None)

    page = await web.get(stage.path("recording"))
    response = await upload(web, stage, video)

    assert (page.status_code, response.status_code) == (303 if who is None else 404, 404)  # signed out: sign in
    assert await recording(database, stage) is None
    assert media_files(settings) == []


async def test_another_events_session_is_not_found(
    web: httpx.AsyncClient, stage: Stage, database: Database, settings: Settings, video: bytes
) -> None:
    as_person(web, stage.people["organiser"])

    through_ours = await web.post(
        stage.path("recording", session=stage.other_session),
        data={"csrf_token": await csrf(web)},
        files={"video": ("a.mp4", video, "video/mp4")},
    )
    theirs = await web.post(
        stage.path("recording", session=stage.other_session, event=stage.other_event),
        data={"csrf_token": await csrf(web)},
        files={"video": ("a.mp4", video, "video/mp4")},
    )

    assert (through_ours.status_code, theirs.status_code) == (404, 404)
    assert media_files(settings) == []


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"%PDF-1.4 not a video at all\n" * 100, "This file is not a video Podium can read."),
        (b"", "Please choose a video file to upload."),
    ],
)
async def test_a_file_that_is_not_a_video_is_refused_and_leaves_nothing(
    web: httpx.AsyncClient, stage: Stage, database: Database, settings: Settings, content: bytes, message: str
) -> None:
    as_person(web, stage.people["organiser"])

    response = await upload(web, stage, content, name="slides.pdf")
    as_json = await upload(web, stage, content, name="slides.pdf", json=True)

    assert response.status_code == 400
    assert message in response.text
    assert as_json.status_code == 400 and as_json.json()["error"] == message
    assert await recording(database, stage) is None
    assert media_files(settings) == []


async def test_sound_without_picture_is_refused(
    web: httpx.AsyncClient, stage: Stage, database: Database, settings: Settings, tmp_path: Path
) -> None:
    import av

    sound = tmp_path / "tone.wav"
    with av.open(str(make_video(tmp_path / "v.mp4", seconds=1))) as reading, av.open(str(sound), "w") as writing:
        out = writing.add_stream("pcm_s16le", rate=48_000)
        for frame in reading.decode(audio=0):
            frame.pts = None
            for packet in out.encode(frame):
                writing.mux(packet)
    as_person(web, stage.people["organiser"])

    response = await upload(web, stage, sound.read_bytes(), name="tone.wav", json=True)

    assert (response.status_code, response.json()["error"]) == (400, "This file has no video in it.")
    assert media_files(settings) == []


async def test_an_upload_without_the_csrf_token_or_too_large_is_refused_and_leaves_nothing(
    settings: Settings, database: Database, stage: Stage, video: bytes
) -> None:
    from server.app import create_app

    small = create_app(replace(settings, max_upload_bytes=len(video) // 2), database, deliver_mail=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=small), base_url=ORIGIN) as client:
        as_person(client, stage.people["organiser"])
        token = await csrf(client)
        forged = await client.post(
            stage.path("recording"), data={"csrf_token": "x" * 43}, files={"video": ("a.mp4", video[:100], "video/mp4")}
        )
        too_large = await client.post(
            stage.path("recording"), data={"csrf_token": token}, files={"video": ("a.mp4", video, "video/mp4")}
        )
        not_a_form = await client.post(stage.path("recording"), content=video, headers={"Content-Type": "video/mp4"})

    assert forged.status_code == 403
    assert too_large.status_code == 413
    assert "larger than" in too_large.text
    assert not_a_form.status_code == 400
    assert await recording(database, stage) is None
    assert media_files(settings) == []


async def test_organisers_choose_when_it_plays(
    web: httpx.AsyncClient, stage: Stage, database: Database, video: bytes
) -> None:
    as_person(web, stage.people["organiser"])
    await upload(web, stage, video)
    token = await csrf(web)

    later = await web.post(
        stage.path("recording/schedule"), data={"csrf_token": token, "when": "at", "at": "2099-10-27T09:30"}
    )
    at_time = await recording(database, stage)
    manual = await web.post(stage.path("recording/schedule"), data={"csrf_token": token, "when": "manual"})
    by_hand = await recording(database, stage)
    past = await web.post(
        stage.path("recording/schedule"), data={"csrf_token": token, "when": "at", "at": "2001-01-01T09:00"}
    )
    nonsense = await web.post(stage.path("recording/schedule"), data={"csrf_token": token, "when": "at", "at": "soon"})
    as_person(web, stage.people["moderator"])
    moderator = await web.post(stage.path("recording/schedule"), data={"csrf_token": token, "when": "start"})

    assert (later.status_code, manual.status_code) == (303, 303)
    assert at_time is not None and at_time.play_at == dt.datetime(2099, 10, 27, 1, 30, tzinfo=dt.UTC)  # Beijing time
    assert by_hand is not None and by_hand.play_at is None
    assert (past.status_code, nonsense.status_code, moderator.status_code) == (400, 400, 404)
    assert "That time has passed." in past.text


@dataclass
class Site:
    """The whole app (pages, live rooms, an embedded relay) for one process."""

    app: Any
    relay: Relay
    client: httpx.AsyncClient

    @property
    def starlette(self) -> Any:
        return self.app.other_asgi_app


@pytest.fixture
async def site(settings: Settings, database: Database) -> AsyncIterator[Site]:
    app = create_asgi(settings, database, deliver_mail=False, settle_gc=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=ORIGIN) as client:
        yield Site(app, app.relay, client)
    await app.relay.close()


async def test_moderators_press_play_and_stop_on_the_relay(site: Site, stage: Stage, video: bytes) -> None:
    client, key = site.client, str(stage.session.id)
    as_person(client, stage.people["organiser"])
    await upload(client, stage, video)
    as_person(client, stage.people["moderator"])
    token = await csrf(client)

    played = await client.post(stage.path("recording/play"), data={"csrf_token": token})
    playing = site.relay.streams[key].playback
    await asyncio.sleep(0.5)
    status = (await client.get(stage.path("stream/status"), headers={"Accept": "application/json"})).json()
    again = await client.post(
        stage.path("recording/play"), data={"csrf_token": token}, headers={"Accept": "application/json"}
    )
    stopped = await client.post(
        stage.path("recording/stop"), data={"csrf_token": token}, headers={"Accept": "application/json"}
    )

    assert played.status_code == 303
    assert played.headers["location"] == stage.path("moderate") + "#stream-heading"
    assert playing is not None
    assert (status["available"], status["mode"], status["duration"]) == (True, "playback", 2.0)
    assert status["recording"]["filename"] == "Address.mp4"
    assert status["recording"]["started_at"] is not None
    assert again.status_code == 409
    assert again.json()["error"] == "A recording is already playing in this session."
    assert stopped.status_code == 200
    assert stopped.json()["message"] == "The recording was stopped; the room is live."
    assert key not in site.relay.streams or site.relay.streams[key].playback is None


@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
async def test_a_refused_play_leaves_the_recordings_start_time_as_it_was(
    site: Site, stage: Stage, database: Database, video: bytes
) -> None:
    client, json = site.client, {"Accept": "application/json"}
    as_person(client, stage.people["organiser"])
    await upload(client, stage, video)
    token = await csrf(client)
    played = await client.post(stage.path("recording/play"), data={"csrf_token": token}, headers=json)
    first = await recording(database, stage)

    again = await client.post(stage.path("recording/play"), data={"csrf_token": token}, headers=json)
    after = await recording(database, stage)

    assert played.status_code == 200
    assert first is not None and first.started_at is not None
    assert again.status_code == 409
    assert after is not None and after.started_at == first.started_at


@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
async def test_a_play_the_relay_cannot_open_leaves_the_recording_unstarted(
    site: Site, stage: Stage, database: Database, settings: Settings, video: bytes
) -> None:
    client, json = site.client, {"Accept": "application/json"}
    as_person(client, stage.people["organiser"])
    await upload(client, stage, video)
    stored = await recording(database, stage)
    assert stored is not None
    (settings.media_dir / stored.stored_name).unlink()  # the shared folder lost the file

    refused = await client.post(stage.path("recording/play"), data={"csrf_token": await csrf(client)}, headers=json)
    after = await recording(database, stage)

    assert refused.status_code == 400
    assert refused.json()["error"].startswith("The relay could not play the recording: ")
    assert after is not None and after.started_at is None


@pytest.mark.parametrize("who", ["speaker", "delegate", "other_moderator", None])
async def test_only_moderators_and_organisers_press_play(
    site: Site, stage: Stage, video: bytes, who: str | None
) -> None:
    as_person(site.client, stage.people["organiser"])
    await upload(site.client, stage, video)
    as_person(site.client, stage.people[who] if who else None)

    played = await site.client.post(stage.path("recording/play"), data={"csrf_token": await csrf(site.client)})
    through_ours = await site.client.post(
        stage.path("recording/play", session=stage.other_session), data={"csrf_token": await csrf(site.client)}
    )

    assert (played.status_code, through_ours.status_code) == (404, 404)
    assert str(stage.session.id) not in site.relay.streams


async def test_play_without_csrf_or_without_a_recording_is_refused_and_presses_are_rate_limited(
    site: Site, stage: Stage, video: bytes
) -> None:
    as_person(site.client, stage.people["moderator"])
    token = await csrf(site.client)
    json = {"Accept": "application/json"}

    forged = await site.client.post(stage.path("recording/play"), data={"csrf_token": "y" * 43})
    nothing = await site.client.post(stage.path("recording/play"), data={"csrf_token": token}, headers=json)
    presses = [
        (await site.client.post(stage.path("recording/stop"), data={"csrf_token": token}, headers=json)).status_code
        for _ in range(10)
    ]

    assert forged.status_code == 403
    assert (nothing.status_code, nothing.json()["error"]) == (404, "This session has no recording.")
    assert presses[:8] == [200] * 8
    assert presses[-1] == 429


@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
async def test_the_scheduler_of_two_app_processes_starts_a_due_recording_exactly_once(
    settings: Settings, database: Database, stage: Stage, video: bytes
) -> None:
    processes = []
    for _ in range(2):
        own = Database(settings.database_url)  # each process has its own connections
        processes.append((own, create_asgi(settings, own, deliver_mail=False, settle_gc=False)))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=processes[0][1]), base_url=ORIGIN) as client:
        as_person(client, stage.people["organiser"])
        assert (await upload(client, stage, video)).status_code == 303
    async with database.session() as db:
        row = (await db.exec(select(Recording))).one()
        row.play_at = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
        db.add(row)
        await db.commit()
    try:
        rounds = [
            await asyncio.gather(
                *(app.other_asgi_app.state.services.recording_scheduler.tick() for _, app in processes)
            )
            for _ in range(3)
        ]
        relays = [app.relay for _, app in processes]
        playing = [relay for relay in relays if str(stage.session.id) in relay.streams]

        assert sorted(len(started) for started in rounds[0]) == [0, 1]
        assert all(started == [] for later in rounds[1:] for started in later)
        assert len(playing) == 1
        assert playing[0].streams[str(stage.session.id)].playback is not None
        stored = await recording(database, stage)
        assert stored is not None and stored.started_at is not None
    finally:
        for own, app in processes:
            await app.relay.close()
            await own.dispose()


async def test_a_recording_whose_time_passed_long_ago_is_not_started(
    site: Site, stage: Stage, database: Database, video: bytes
) -> None:
    as_person(site.client, stage.people["organiser"])
    await upload(site.client, stage, video)
    async with database.session() as db:
        row = (await db.exec(select(Recording))).one()
        row.play_at = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
        db.add(row)
        await db.commit()

    started = await site.starlette.state.services.recording_scheduler.tick()

    assert started == []
    assert str(stage.session.id) not in site.relay.streams


async def test_with_a_relay_process_the_app_plays_through_its_control_endpoints(
    settings: Settings, database: Database, stage: Stage, video: bytes
) -> None:
    """Production's shape: the relay runs in its own process and opens the media folder the app writes."""
    from realtime.media.app import create_relay_app
    from realtime.media.config import RelaySettings
    from server.app import create_app
    from tests.support.servers import ThreadedServer

    relay_process = ThreadedServer(
        create_relay_app(RelaySettings(secret_key=settings.secret_key, media_dir=settings.media_dir))
    )
    relay_process.start()
    app = create_app(replace(settings, relay_url=relay_process.url), database, deliver_mail=False)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=ORIGIN) as client:
            as_person(client, stage.people["organiser"])
            await upload(client, stage, video)
            json = {"Accept": "application/json"}
            played = await client.post(
                stage.path("recording/play"), data={"csrf_token": await csrf(client)}, headers=json
            )
            status = (await client.get(stage.path("stream/status"), headers=json)).json()
            stopped = await client.post(
                stage.path("recording/stop"), data={"csrf_token": await csrf(client)}, headers=json
            )
    finally:
        relay_process.stop()

    assert played.status_code == 200
    assert played.json()["status"]["mode"] == "playback"
    assert (status["available"], status["mode"], status["duration"]) == (True, "playback", 2.0)
    assert stopped.json()["message"] == "The recording was stopped; the room is live."


@pytest.mark.parametrize(("who", "link"), [("organiser", True), ("moderator", False)])
async def test_the_console_has_play_and_stop_and_organisers_reach_the_upload_page(
    web: httpx.AsyncClient, stage: Stage, who: str, link: bool
) -> None:
    from lxml import html as lxml_html

    as_person(web, stage.people[who])

    page = await web.get(stage.path("moderate"))

    document = lxml_html.fromstring(page.text)
    panel = document.get_element_by_id("recording-panel")
    forms = {form.get("action"): form for form in panel.iter("form")}
    assert set(forms) == {stage.path("recording/play"), stage.path("recording/stop")}
    for form in forms.values():
        assert form.get("method") == "post"
        assert form.xpath(".//input[@name='csrf_token']/@value")[0] == web.cookies["podium_csrf"]
    assert bool(panel.xpath(f".//a[@href='{stage.path('recording')}']")) is link


async def test_the_recording_page_speaks_simplified_chinese(web: httpx.AsyncClient, stage: Stage, video: bytes) -> None:
    as_person(web, stage.people["organiser"])
    await upload(web, stage, video, name="<script>致辞 & 贺词.mp4")

    page = await web.get(stage.path("recording") + "?lang=zh-Hans")
    refused = await upload(web, stage, b"not a video", name="a.txt")

    assert page.status_code == 200
    assert "录制视频" in page.text and "替换视频" in page.text and "在场次开始时" in page.text
    assert re.search(r"在场次开始时 \(\d{4}年\d{1,2}月\d{1,2}日 \d\d:\d\d\)", page.text)  # Babel's, in Chinese
    assert "&lt;script&gt;致辞 &amp; 贺词.mp4" in page.text and "<script>致辞" not in page.text
    assert refused.status_code == 400 and "此文件不是 Podium 能读取的视频。" in refused.text
