"""Who reaches the studio, the viewer pass and the stream status; what the studio page carries."""

from __future__ import annotations

from dataclasses import replace

import httpx
import pytest
from lxml import html as lxml_html

from realtime.media.status import StreamStatus
from server.app import create_app
from server.db import Database
from server.settings import Settings
from server.streams.tokens import PublishTokens, read_viewer_pass
from tests.support.http import ORIGIN, as_person
from tests.support.speaker_stage import Stage

STUDIO = {
    "speaker": 200,
    "moderator": 200,
    "organiser": 200,
    "other_speaker": 404,  # linked to a speaker of another session
    "namesake": 404,  # the speaker's name and the speaker role, but not linked
    "delegate": 404,
    "other_moderator": 404,
    None: 303,  # signed out: asked to sign in first
}


@pytest.mark.parametrize("who", list(STUDIO))
async def test_studio_is_for_the_sessions_speakers_moderators_and_organisers(
    web: httpx.AsyncClient, stage: Stage, who: str | None
) -> None:
    as_person(web, stage.people[who] if who else None)

    response = await web.get(stage.path("studio"))

    assert response.status_code == STUDIO[who]


async def test_studio_of_another_events_session_is_not_found(web: httpx.AsyncClient, stage: Stage) -> None:
    path = stage.path("studio", session=stage.other_session, event=stage.other_event)

    ours = await as_person(web, stage.people["organiser"]).get(path)
    through_ours = await web.get(stage.path("studio", session=stage.other_session))
    theirs = await as_person(web, stage.people["other_moderator"]).get(path)

    assert (ours.status_code, through_ours.status_code, theirs.status_code) == (404, 404, 200)


async def test_studio_carries_the_whip_url_and_the_sessions_publish_token(
    web: httpx.AsyncClient, stage: Stage, settings: Settings
) -> None:
    response = await as_person(web, stage.people["speaker"]).get(stage.path("studio"))

    document = lxml_html.fromstring(response.text)
    studio = document.get_element_by_id("studio")
    key = str(stage.session.id)
    assert studio.get("data-whip-url") == f"/whip/{key}"
    assert studio.get("data-token") == PublishTokens(settings.secret_key).token(key)
    assert response.headers["cache-control"] == "private, no-store"
    assert [script.get("src") for script in document.iter("script") if not script.get("src")] == []
    assert document.xpath("//*[@style]") == []


async def test_viewer_pass_is_for_admitted_people_only(
    web: httpx.AsyncClient, stage: Stage, settings: Settings
) -> None:
    anonymous = await as_person(web, None).get(stage.path("stream/pass"))
    other = await as_person(web, stage.people["other_moderator"]).get(stage.path("stream/pass"))
    admitted = await as_person(web, stage.people["delegate"]).get(stage.path("stream/pass"))

    assert (anonymous.status_code, other.status_code, admitted.status_code) == (401, 403, 200)
    body = admitted.json()
    key = str(stage.session.id)
    account = stage.people["delegate"].account.id
    assert body["url"] == f"/whep/{key}"
    assert read_viewer_pass(settings.secret_key, key, body["token"]) == f"a{account}"
    assert admitted.headers["cache-control"] == "no-store"


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("moderator", 200),
        ("organiser", 200),
        ("speaker", 404),
        ("delegate", 404),
        ("other_moderator", 404),
        (None, 404),
    ],
)
async def test_stream_status_is_for_moderators_and_organisers(
    web: httpx.AsyncClient, stage: Stage, settings: Settings, who: str | None, status: int
) -> None:
    as_person(web, stage.people[who] if who else None)

    response = await web.get(stage.path("stream/status"))

    assert response.status_code == status
    if status == 200:
        key = str(stage.session.id)
        token = PublishTokens(settings.secret_key).token(key)
        assert response.json() == {
            "available": False,
            "whip_url": f"/whip/{key}",
            "publish_token": token,
            "recording": None,  # no recorded video uploaded for the session
            "restreams": [],  # no restream target added
        }


class StatusesRelay:
    """The status calls of a relay held by this process (as realtime.media.control.LocalRelayControl answers
    them), over given stream statuses."""

    def __init__(self, statuses: list[StreamStatus]) -> None:
        self.statuses = statuses

    async def status(self, session_key: str) -> dict[str, object]:
        return next(status for status in self.statuses if status.session_key == session_key).as_json()


async def test_stream_status_reads_the_relay_held_by_this_process(
    settings: Settings, database: Database, stage: Stage
) -> None:
    key = str(stage.session.id)
    app = create_app(settings, database, deliver_mail=False)
    offline = StreamStatus("other", False, 9, 0, None, None, None, 0, 0, 0, 0, 0, 0, 0)
    app.state.services.relay_control = StatusesRelay(
        [offline, replace(offline, session_key=key, live=True, viewers=3, bitrate=512_000)]
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=ORIGIN) as client:
        response = await as_person(client, stage.people["moderator"]).get(stage.path("stream/status"))

    body = response.json()
    assert (body["available"], body["live"], body["viewers"], body["bitrate"]) == (True, True, 3, 512_000)
