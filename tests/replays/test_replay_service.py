"""Making a session's replay in the scheduler loop: once the session has ended and the stream is quiet, by one
app process of several, remade when the relay wrote more, and never for a session still on."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from sqlmodel import select

from server.clock import utcnow
from server.db import Database
from server.replays.models import Replay, ReplayState
from server.replays.services import ReplayBuilder, claim_replay, replays_dir
from server.settings import Settings
from tests.support.replay_segments import decoded_seconds, record
from tests.support.speaker_stage import Stage

pytestmark = pytest.mark.integration
BOTH_BACKENDS = pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)


def start_ms(stage: Stage) -> int:
    return int(stage.session.start.timestamp() * 1000)


async def replay_row(database: Database, stage: Stage) -> Replay | None:
    async with database.session() as db:
        return (await db.exec(select(Replay).where(Replay.session_id == stage.session.id))).first()


@BOTH_BACKENDS
async def test_of_two_app_processes_one_makes_the_replay_once_the_session_is_over(
    database: Database, settings: Settings, stage: Stage
) -> None:
    record(settings.media_dir, str(stage.session.id), [start_ms(stage), start_ms(stage) + 2_000])
    first = ReplayBuilder(database, lambda: settings.media_dir)
    second = ReplayBuilder(database, lambda: settings.media_dir)

    made = await asyncio.gather(first.tick(), second.tick())

    assert sorted(made, key=len) == [[], [stage.session.id]]
    replay = await replay_row(database, stage)
    assert replay is not None and replay.state == ReplayState.ready
    assert (replay.content_type, replay.event_id) == ("video/webm", stage.event.id)
    assert replay.duration_seconds == pytest.approx(4.0, abs=0.2)
    assert [mark["wall_ms"] for mark in replay.timeline] == [start_ms(stage), start_ms(stage) + 2_000]
    assert replay.stored_name is not None
    assert sorted(path.name for path in replays_dir(settings.media_dir).iterdir()) == [replay.stored_name]
    assert await first.tick() == []  # up to date: nothing more to do


@BOTH_BACKENDS
async def test_newer_segments_remake_the_replay_and_the_old_file_goes(
    database: Database, settings: Settings, stage: Stage
) -> None:
    builder = ReplayBuilder(database, lambda: settings.media_dir)
    record(settings.media_dir, str(stage.session.id), [start_ms(stage)])
    await builder.tick()
    before = await replay_row(database, stage)
    assert before is not None and before.stored_name

    # The session ran over: the relay wrote one more segment after the replay was made.
    record(settings.media_dir, str(stage.session.id), [start_ms(stage) + 60_000])
    assert await builder.tick() == [stage.session.id]

    after = await replay_row(database, stage)
    assert after is not None and after.state == ReplayState.ready
    assert after.duration_seconds == pytest.approx(4.0, abs=0.2)
    assert after.last_segment_ms == start_ms(stage) + 60_000
    files = sorted(path.name for path in replays_dir(settings.media_dir).iterdir())
    assert files == [after.stored_name]
    frames, _last, _heard = decoded_seconds(replays_dir(settings.media_dir) / files[0])
    assert frames == 40


async def test_no_replay_while_the_session_is_on_or_the_stream_was_just_written(
    database: Database, settings: Settings, stage: Stage
) -> None:
    builder = ReplayBuilder(database, lambda: settings.media_dir)
    record(settings.media_dir, str(stage.session.id), [start_ms(stage)])

    during = stage.session.start + dt.timedelta(minutes=5)
    assert await builder.tick(now=during) == []
    # Ended, but the newest segment is 3 s old: the relay may still be writing.
    record(settings.media_dir, str(stage.session.id), [int(utcnow().timestamp() * 1000) - 3_000])
    assert await builder.tick() == []
    assert await replay_row(database, stage) is None


async def test_a_recording_nothing_can_be_read_from_is_reported_failed(
    database: Database, settings: Settings, stage: Stage
) -> None:
    folder = settings.media_dir / "recordings" / str(stage.session.id)
    folder.mkdir(parents=True)
    (folder / f"{start_ms(stage):013d}-000000.webm").write_bytes(b"\x1a\x45\xdf\xa3 cut at once")

    await ReplayBuilder(database, lambda: settings.media_dir).tick()

    replay = await replay_row(database, stage)
    assert replay is not None
    assert (replay.state, replay.message) == (ReplayState.failed, "No part of the recording could be read.")
    assert await ReplayBuilder(database, lambda: settings.media_dir).tick() == []  # not retried until more comes


async def test_a_running_app_makes_the_replay_in_its_scheduler_loop(
    database: Database, settings: Settings, stage: Stage, live_server: object
) -> None:
    record(settings.media_dir, str(stage.session.id), [start_ms(stage)])

    replay = None
    for _ in range(100):  # the loop looks every 2 s
        replay = await replay_row(database, stage)
        if replay is not None and replay.state == ReplayState.ready:
            break
        await asyncio.sleep(0.1)

    assert replay is not None and replay.state == ReplayState.ready
    assert replay.duration_seconds == pytest.approx(2.0, abs=0.2)


@BOTH_BACKENDS
async def test_a_process_that_saw_the_segments_before_another_made_the_replay_does_not_make_it_again(
    database: Database, settings: Settings, stage: Stage
) -> None:
    record(settings.media_dir, str(stage.session.id), [start_ms(stage)])
    await ReplayBuilder(database, lambda: settings.media_dir).tick()

    # The slower process looked at the folder before the replay existed, and claims only now.
    async with database.session() as db:
        late = await claim_replay(
            db, session_id=stage.session.id or 0, event_id=stage.event.id or 0, now=utcnow(), newest_ms=start_ms(stage)
        )
    async with database.session() as db:  # an organiser's "Make the replay now" remakes it all the same
        asked = await claim_replay(db, session_id=stage.session.id or 0, event_id=stage.event.id or 0, now=utcnow())

    assert (late, asked) == (False, True)
