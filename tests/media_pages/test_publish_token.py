"""Who sees a session's publish token and who may rotate it; a rotation reaches the studio and the console."""

from __future__ import annotations

import logging

import httpx
import pytest
from lxml import html as lxml_html

from server.agenda.models import Session
from server.db import Database
from server.events.models import Event
from server.settings import Settings
from server.streams.models import StreamKey
from server.streams.tokens import publish_token
from tests.support.http import as_person, csrf
from tests.support.speaker_stage import Stage

pytestmark = pytest.mark.integration

# Moderators and organisers of the event rotate; the session's own speaker sees the token on the studio only.
ROTATE = {
    "moderator": 303,
    "organiser": 303,
    "speaker": 404,
    "namesake": 404,
    "delegate": 404,
    "other_moderator": 404,
    None: 404,
}


def token(settings: Settings, stage: Stage, generation: int) -> str:
    return publish_token(settings.secret_key, str(stage.session.id), generation)


async def studio_token(web: httpx.AsyncClient, stage: Stage) -> str | None:
    response = await as_person(web, stage.people["speaker"]).get(stage.path("studio"))
    assert response.status_code == 200
    found: str | None = lxml_html.fromstring(response.text).get_element_by_id("studio").get("data-token")
    return found


async def rotate(
    web: httpx.AsyncClient, stage: Stage, who: str | None, *, session: Session | None = None, event: Event | None = None
) -> httpx.Response:
    as_person(web, stage.people[who] if who else None)
    return await web.post(
        stage.path("stream/token", session=session, event=event), data={"csrf_token": await csrf(web)}
    )


@pytest.mark.parametrize("who", list(ROTATE))
async def test_rotating_the_token_is_for_moderators_and_organisers(
    web: httpx.AsyncClient, stage: Stage, settings: Settings, who: str | None
) -> None:
    response = await rotate(web, stage, who)

    assert response.status_code == ROTATE[who]
    rotated = response.status_code == 303
    assert await studio_token(web, stage) == token(settings, stage, 1 if rotated else 0)
    if rotated:
        assert response.headers["location"] == stage.path("moderate") + "#stream-panel"


async def test_console_status_and_studio_hand_out_the_rotated_token(
    web: httpx.AsyncClient, stage: Stage, settings: Settings
) -> None:
    before = (await as_person(web, stage.people["moderator"]).get(stage.path("stream/status"))).json()["publish_token"]

    await rotate(web, stage, "organiser")
    after = (await as_person(web, stage.people["moderator"]).get(stage.path("stream/status"))).json()["publish_token"]

    assert (before, after) == (token(settings, stage, 0), token(settings, stage, 1))
    assert await studio_token(web, stage) == after


async def test_rotating_another_events_session_is_not_found(
    web: httpx.AsyncClient, stage: Stage, settings: Settings, database: Database
) -> None:
    through_ours = await rotate(web, stage, "organiser", session=stage.other_session)
    theirs = await rotate(web, stage, "organiser", session=stage.other_session, event=stage.other_event)

    assert (through_ours.status_code, theirs.status_code) == (404, 404)
    async with database.session() as db:
        assert await db.get(StreamKey, stage.other_session.id) is None


async def test_rotating_without_the_csrf_token_is_refused(
    web: httpx.AsyncClient, stage: Stage, settings: Settings
) -> None:
    await csrf(as_person(web, stage.people["moderator"]))

    forged = await web.post(stage.path("stream/token"), data={"csrf_token": "x" * 43})
    missing = await web.post(stage.path("stream/token"))

    assert (forged.status_code, missing.status_code) == (403, 403)
    assert await studio_token(web, stage) == token(settings, stage, 0)


async def test_rotating_twice_at_once_is_refused_and_keeps_the_first_rotation(
    web: httpx.AsyncClient, stage: Stage, settings: Settings
) -> None:
    first = await rotate(web, stage, "moderator")
    second = await rotate(web, stage, "organiser")

    assert (first.status_code, second.status_code) == (303, 429)
    assert "just rotated" in second.text
    assert await studio_token(web, stage) == token(settings, stage, 1)


async def test_a_rotation_is_recorded_with_who_and_when(
    web: httpx.AsyncClient, stage: Stage, database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    moderator = stage.people["moderator"].account.id

    with caplog.at_level(logging.INFO, logger="podium.audit"):
        await rotate(web, stage, "moderator")

    async with database.session() as db:
        key = await db.get_one(StreamKey, stage.session.id)
    assert (key.generation, key.rotated_at is not None) == (1, True)
    [record] = [record for record in caplog.records if record.name == "podium.audit"]
    assert (record.session_id, record.generation, record.account_id) == (stage.session.id, 1, moderator)


async def test_console_offers_show_copy_and_a_confirmed_rotation(web: httpx.AsyncClient, stage: Stage) -> None:
    response = await as_person(web, stage.people["moderator"]).get(stage.path("moderate"))

    document = lxml_html.fromstring(response.text)
    panel = document.get_element_by_id("stream-panel")
    assert panel.xpath(".//code[@data-stream='token']/@hidden") == [""]
    assert [button.text_content() for button in panel.xpath(".//button[@data-stream='show-token']")] == ["Show"]
    [form] = panel.xpath(".//details[@class='stream-rotate']/form")
    assert form.get("action") == stage.path("stream/token")
    assert form.xpath("./input[@name='csrf_token']/@value") == [web.cookies["podium_csrf"]]
