"""The organisers' recording and replay page: the relay's recording status (a full disk said plainly), what is on
disk, recording on or off and the replay and archive published (one versioned, audited save), the replay made at
once, and the recording deleted after a confirmation; and the event's replay audience on the live settings page."""

from __future__ import annotations

import httpx
import pytest
from sqlmodel import col, select

from server.archive.models import SessionArchive
from server.audit.models import AuditEntry
from server.db import Database
from server.live.models import LiveSettings
from server.replays.models import Replay, ReplayState
from server.replays.services import replays_dir
from server.settings import Settings
from server.streams.recording_files import RecorderState, recording_dir, write_status
from tests.support.html import page
from tests.support.http import as_person, post
from tests.support.replay_segments import record
from tests.support.speaker_stage import Stage

pytestmark = pytest.mark.integration
BOTH_BACKENDS = pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)


def floor(settings: Settings, stage: Stage) -> str:
    return str(stage.session.id)


def start_ms(stage: Stage) -> int:
    return int(stage.session.start.timestamp() * 1000)


def text(response: httpx.Response, element_id: str) -> str:
    found = page(response).xpath(f"//*[@id='{element_id}']")
    return " ".join(found[0].text_content().split()) if found else ""


async def archive_row(database: Database, stage: Stage) -> SessionArchive | None:
    async with database.session() as db:
        return await db.get(SessionArchive, stage.session.id)


@BOTH_BACKENDS
async def test_a_full_disk_is_shown_with_the_segments_and_their_size(
    web: httpx.AsyncClient, settings: Settings, stage: Stage
) -> None:
    written = record(settings.media_dir, floor(settings, stage), [start_ms(stage), start_ms(stage) + 2_000])
    message = "No space left on device"
    write_status(
        recording_dir(settings.media_dir, floor(settings, stage)), RecorderState.disk_full, message=message, at_ms=1
    )
    as_person(web, stage.people["organiser"])

    response = await web.get(stage.path("replay/manage"))

    assert response.status_code == 200
    assert response.headers["cache-control"] == "private, no-store"
    assert text(response, "recorder-state") == "Disk full: the recording stopped, the stream goes on"
    assert text(response, "recorder-message") == message
    assert text(response, "disk-full").startswith("The media disk is full: the recording stopped, the stream goes on.")
    assert text(response, "recording-segments") == "2"
    size_mb = round(sum(path.stat().st_size for path in written) / 1048576, 1)
    assert text(response, "recording-size") == f"{size_mb} MB"


@BOTH_BACKENDS
async def test_recording_off_and_publishing_is_one_versioned_audited_save(
    web: httpx.AsyncClient, database: Database, stage: Stage
) -> None:
    as_person(web, stage.people["organiser"])
    form = {"version": "1", "record": "no", "replay_published": "yes", "archive_published": "yes"}

    saved = await post(web, stage.path("replay/manage"), form)
    stale = await post(web, stage.path("replay/manage"), {**form, "record": "yes"})  # the form of before
    bad = await post(web, stage.path("replay/manage"), {"version": "2", "record": "maybe"})

    assert saved.status_code == 303
    assert saved.headers["location"] == stage.path("replay/manage") + "?done=saved"
    row = await archive_row(database, stage)
    assert row is not None
    assert (row.record, row.replay_published, row.archive_published, row.version) == (False, True, True, 2)
    assert stale.status_code == 409
    assert "Someone else changed these settings meanwhile" in stale.text
    assert page(stale).xpath("//input[@id='record-no']/@checked") != []  # theirs shown
    assert bad.status_code == 400
    assert "Please choose yes or no." in bad.text
    async with database.session() as db:
        entries = (await db.exec(select(AuditEntry).where(col(AuditEntry.action) == "session_archive.update"))).all()
    assert [(entry.target_id, entry.after) for entry in entries] == [
        (str(stage.session.id), {"record": False, "replay_published": True, "archive_published": True})
    ]
    # Nobody else may change them.
    as_person(web, stage.people["moderator"])
    refused = await post(web, stage.path("replay/manage"), {**form, "version": "2", "record": "yes"})
    assert refused.status_code == 404
    assert (await archive_row(database, stage)).record is False  # type: ignore[union-attr]


@BOTH_BACKENDS
async def test_make_the_replay_now_then_delete_the_recording_after_confirming(
    web: httpx.AsyncClient, database: Database, settings: Settings, stage: Stage
) -> None:
    record(settings.media_dir, floor(settings, stage), [start_ms(stage)])
    record(settings.media_dir, f"{floor(settings, stage)}_ja", [start_ms(stage)])  # an interpretation channel's
    as_person(web, stage.people["organiser"])

    made = await post(web, stage.path("replay/make"))
    shown = await web.get(made.headers["location"])
    unconfirmed = await post(web, stage.path("replay/delete"))
    async with database.session() as db:
        replay = await db.get(Replay, stage.session.id)
    assert made.status_code == 303
    assert replay is not None and replay.state == ReplayState.ready
    assert text(shown, "replay-state") == "Ready"
    assert page(shown).xpath("//a[@id='replay-link']/@href") == [stage.path("replay.webm")]
    assert unconfirmed.status_code == 400
    assert "Please tick the box to confirm" in unconfirmed.text
    assert (replays_dir(settings.media_dir) / (replay.stored_name or "")).exists()

    deleted = await post(web, stage.path("replay/delete"), {"confirm": "yes"})

    assert deleted.status_code == 303
    assert deleted.headers["location"] == stage.path("replay/manage") + "?done=deleted"
    assert sorted((settings.media_dir / "recordings").iterdir()) == []
    assert list(replays_dir(settings.media_dir).iterdir()) == []
    async with database.session() as db:
        assert await db.get(Replay, stage.session.id) is None
        actions = (await db.exec(select(AuditEntry.action).where(col(AuditEntry.action).like("re%")))).all()
    assert sorted(actions) == ["recording.delete", "replay.make"]
    nothing = await post(web, stage.path("replay/make"))
    assert nothing.status_code == 409
    assert "Nothing was recorded for this session yet." in nothing.text


async def test_a_recording_being_written_is_not_deleted(
    web: httpx.AsyncClient, settings: Settings, stage: Stage
) -> None:
    folder = recording_dir(settings.media_dir, floor(settings, stage))
    folder.mkdir(parents=True)
    (folder / f"{start_ms(stage):013d}-000000.webm.part").write_bytes(b"\x1a\x45\xdf\xa3")  # written just now
    as_person(web, stage.people["organiser"])

    refused = await post(web, stage.path("replay/delete"), {"confirm": "yes"})

    assert refused.status_code == 409
    assert "The relay is recording this session now." in refused.text
    assert [path.name for path in folder.iterdir()] == [f"{start_ms(stage):013d}-000000.webm.part"]


async def test_the_replay_audience_is_an_event_live_setting(
    web: httpx.AsyncClient, database: Database, stage: Stage
) -> None:
    as_person(web, stage.people["organiser"])
    form_page = await web.get(f"/{stage.event.slug}/organiser/live")
    values = {
        name: page(form_page).xpath(f"//input[@name='{name}'][@checked]/@value")[0]
        for name in ("anonymous_guests", "online_entry", "moderated", "chat", "participants", "replay_audience")
    }
    version = page(form_page).xpath("//input[@name='version']/@value")[0]
    assert values["replay_audience"] == "delegates"

    saved = await post(
        web, f"/{stage.event.slug}/organiser/live", {**values, "version": version, "replay_audience": "everyone"}
    )

    assert saved.status_code == 303
    async with database.session() as db:
        row = await db.get(LiveSettings, stage.event.id)
    assert row is not None and row.replay_audience == "everyone"


async def test_the_console_and_the_programme_editor_link_organisers_to_the_page(
    web: httpx.AsyncClient, stage: Stage
) -> None:
    link = f"//a[@href='{stage.path('replay/manage')}']"
    as_person(web, stage.people["organiser"])
    console = await web.get(stage.path("moderate"))
    editor = await web.get(f"/{stage.event.slug}/organiser/programme/sessions/{stage.session.code}")
    as_person(web, stage.people["moderator"])
    moderators_console = await web.get(stage.path("moderate"))

    assert len(page(console).xpath(link)) == 1
    assert (editor.status_code, len(page(editor).xpath(link))) == (200, 1)
    assert page(moderators_console).xpath(link) == []
