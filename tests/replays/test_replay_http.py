"""The replay over HTTP: who may watch it (the one rule, by publication and the event's audience), its file with
range requests from disk, its description for the player, and nginx's X-Accel-Redirect when that is set."""

from __future__ import annotations

from dataclasses import replace

import httpx
import pytest

from server.accounts.models import Role
from server.app import create_app
from server.archive.models import SessionArchive
from server.db import Database
from server.settings import Settings
from tests.support import factories
from tests.support.http import ORIGIN, as_person
from tests.support.replay_segments import made_replay, replay_bytes
from tests.support.speaker_stage import Stage

pytestmark = pytest.mark.integration
BOTH_BACKENDS = pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)


@BOTH_BACKENDS
async def test_range_requests_get_the_bytes_asked_for_and_outside_the_file_a_416(
    web: httpx.AsyncClient, database: Database, settings: Settings, stage: Stage
) -> None:
    replay = await made_replay(database, settings, stage)
    data = replay_bytes(settings, replay)
    size = len(data)
    as_person(web, stage.people["delegate"])
    url = stage.path("replay.webm")

    whole = await web.get(url)
    first = await web.get(url, headers={"Range": "bytes=0-99"})
    middle = await web.get(url, headers={"Range": f"bytes={size // 2}-{size // 2 + 999}"})
    suffix = await web.get(url, headers={"Range": "bytes=-500"})
    outside = await web.get(url, headers={"Range": f"bytes={size}-{size + 10}"})
    several = await web.get(url, headers={"Range": "bytes=0-9,20-29"})
    malformed = await web.get(url, headers={"Range": "bytes=nine-ten"})
    backwards = await web.get(url, headers={"Range": "bytes=50-10"})

    assert (whole.status_code, whole.content) == (200, data)
    assert whole.headers["accept-ranges"] == "bytes"
    assert whole.headers["content-type"] == "video/webm"
    assert whole.headers["cache-control"] == "private, no-cache"
    assert (first.status_code, first.content) == (206, data[:100])
    assert first.headers["content-range"] == f"bytes 0-99/{size}"
    assert (middle.status_code, middle.content) == (206, data[size // 2 : size // 2 + 1000])
    assert (suffix.status_code, suffix.content) == (206, data[-500:])
    assert suffix.headers["content-range"] == f"bytes {size - 500}-{size - 1}/{size}"
    assert outside.status_code == 416
    assert outside.headers["content-range"] == f"bytes */{size}"
    assert several.status_code == 206
    assert several.headers["content-type"].startswith("multipart/byteranges; boundary=")
    assert data[:10] in several.content and data[20:30] in several.content
    # A range header that makes no sense is refused with a message, never a 500.
    assert (malformed.status_code, malformed.text) == (400, "Range header: range must be requested")
    assert (backwards.status_code, backwards.text) == (400, "Range header: start must be less than end")


@BOTH_BACKENDS
async def test_who_may_watch_follows_publication_and_the_events_audience(
    web: httpx.AsyncClient, database: Database, settings: Settings, stage: Stage
) -> None:
    replay = await made_replay(database, settings, stage, published=False)
    async with database.session() as db:
        other_organiser = await factories.person(db, stage.other_event, "Other Organiser", role=Role.organiser)
    people = {**stage.people, "anonymous": None, "other_organiser": other_organiser}
    url = stage.path("replay.webm")

    async def statuses() -> dict[str, int]:
        return {name: (await as_person(web, person).head(url)).status_code for name, person in people.items()}

    hidden = await statuses()
    async with database.session() as db:
        row = await db.get(SessionArchive, stage.session.id)
        assert row is not None
        row.replay_published = True
        db.add(row)
        await db.commit()
    for_delegates = await statuses()
    async with database.session() as db:
        await factories.set_live_settings(db, stage.event, replay_audience="everyone")
    for_everyone = await statuses()

    only_organisers = {name: 200 if name == "organiser" else 404 for name in people}
    assert hidden == only_organisers
    strangers = ("anonymous", "other_organiser", "other_moderator")  # no role in this event
    assert for_delegates == {name: 404 if name in strangers else 200 for name in people}
    assert for_everyone == {name: 200 for name in people}
    as_person(web, None)
    description = (await web.get(stage.path("replay/player.json"))).json()
    assert (description["src"], description["content_type"]) == (stage.path("replay.webm"), "video/webm")
    assert description["duration"] == replay.duration_seconds
    # Another event's session under this event's address, and the wrong extension: not found; the player's
    # description of a replay a stranger may not watch (at its own event's address): no content, as without one.
    assert (await web.get(stage.path("replay.webm", session=stage.other_session))).status_code == 404
    assert (await web.get(stage.path("replay/player.json", session=stage.other_session))).status_code == 404
    assert (await web.get(stage.path("replay.mp4"))).status_code == 404
    assert (
        await web.get(stage.path("replay/player.json", session=stage.other_session, event=stage.other_event))
    ).status_code == 204


async def test_without_a_replay_the_player_gets_no_content_and_the_file_is_not_found(
    web: httpx.AsyncClient, stage: Stage
) -> None:
    as_person(web, stage.people["organiser"])

    assert (await web.get(stage.path("replay/player.json"))).status_code == 204  # nothing to watch: no content
    assert (await web.get(stage.path("replay.webm"))).status_code == 404


async def test_behind_nginx_the_app_answers_with_x_accel_redirect_and_sends_no_bytes(
    database: Database, settings: Settings, stage: Stage
) -> None:
    replay = await made_replay(database, settings, stage)
    app = create_app(replace(settings, accel_redirect="/internal/replays/"), database, deliver_mail=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=ORIGIN) as client:
        as_person(client, stage.people["delegate"])
        response = await client.get(stage.path("replay.webm"))
        as_person(client, None)
        refused = await client.get(stage.path("replay.webm"))

    assert response.status_code == 200
    assert response.headers["x-accel-redirect"] == f"/internal/replays/{replay.stored_name}"
    assert response.headers["content-type"] == "video/webm"
    assert response.content == b""
    assert refused.status_code == 404 and "x-accel-redirect" not in refused.headers
