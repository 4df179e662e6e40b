"""Passes for interpretation channels (``stream/pass?channel=ja``): the room's own rule decides who may listen, as
who may watch; only a running channel of one of the event's languages gets a pass; hall guests get passes for the
channels of their room only, named for the guest so the relay's limit per person holds."""

from __future__ import annotations

import time

import httpx
import pytest

from server.db import Database
from server.live.access import room_token
from server.live.guests import GUEST_COOKIE, guest_card, new_guest
from server.settings import Settings
from server.streams.channels import channel_key
from server.streams.tokens import read_viewer_pass
from tests.support import factories
from tests.support.channels import run_channels
from tests.support.http import as_person
from tests.support.speaker_stage import Stage

pytestmark = pytest.mark.integration
JSON = {"Accept": "application/json"}


@pytest.fixture
async def channels(stage: Stage, database: Database) -> Stage:
    async with database.session() as db:
        await run_channels(db, stage.event, stage.session, ("ja",))
    return stage


def hall_guest(web: httpx.AsyncClient, settings: Settings, stage: Stage, *, session_id: int | None = None) -> dict:
    """A signed-out phone with a guest card, and the room token its hall page would send."""
    as_person(web, None)
    card = new_guest()
    web.cookies.set(GUEST_COOKIE, guest_card(settings.secret_key, card))
    token = room_token(
        settings.secret_key, event_id=stage.event.id or 0, session_id=session_id or stage.session.id or 0
    )
    return {**JSON, "X-Room-Token": token, "guest": card.key}


@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
async def test_a_delegate_gets_a_pass_for_a_running_channel_and_the_floor(
    web: httpx.AsyncClient, settings: Settings, channels: Stage
) -> None:
    delegate = channels.people["delegate"]
    as_person(web, delegate)

    listening = await web.get(channels.path("stream/pass"), params={"channel": "ja"}, headers=JSON)
    watching = await web.get(channels.path("stream/pass"), headers=JSON)

    assert listening.status_code == 200, listening.text
    key = channel_key(channels.session.id or 0, "ja")
    assert listening.json()["url"] == f"/whep/{key}"
    assert read_viewer_pass(settings.secret_key, key, listening.json()["token"]) == f"a{delegate.account.id}"
    assert read_viewer_pass(settings.secret_key, str(channels.session.id), listening.json()["token"]) is None
    assert watching.json()["url"] == f"/whep/{channels.session.id}"


async def test_a_language_without_a_running_channel_is_refused_clearly(web: httpx.AsyncClient, channels: Stage) -> None:
    as_person(web, channels.people["delegate"])

    offered_not_running = await web.get(channels.path("stream/pass"), params={"channel": "ko"}, headers=JSON)
    not_offered = await web.get(channels.path("stream/pass"), params={"channel": "fr"}, headers=JSON)
    hostile = await web.get(channels.path("stream/pass"), params={"channel": "<b>ja\x00" + "x" * 5000}, headers=JSON)

    assert offered_not_running.status_code == 404
    assert offered_not_running.json()["error"] == "There is no interpretation into Korean in this session."
    assert not_offered.status_code == 400
    assert not_offered.json()["error"] == "This event offers no interpretation into “fr”."
    assert hostile.status_code == 400
    assert len(hostile.json()["error"]) < 100


async def test_who_may_not_watch_may_not_listen(web: httpx.AsyncClient, channels: Stage) -> None:
    anonymous = await as_person(web, None).get(channels.path("stream/pass"), params={"channel": "ja"}, headers=JSON)
    stranger = await as_person(web, channels.people["other_moderator"]).get(
        channels.path("stream/pass"), params={"channel": "ja"}, headers=JSON
    )
    elsewhere = await as_person(web, channels.people["organiser"]).get(
        channels.path("stream/pass", session=channels.other_session, event=channels.event),
        params={"channel": "ja"},
        headers=JSON,
    )

    assert anonymous.status_code == 401
    assert stranger.status_code == 403
    assert stranger.json()["error"] == "This room is open to people registered for the event."
    assert elsewhere.status_code == 404  # another event's session under this event's address


async def test_a_hall_guest_listens_to_the_channels_of_their_room_only(
    web: httpx.AsyncClient, settings: Settings, database: Database, channels: Stage
) -> None:
    async with database.session() as db:
        await factories.set_live_settings(db, channels.event, anonymous_guests=True)
        sessions = await factories.sessions_of(db, channels.event)
        neighbour = next(session for session in sessions if session.id != channels.session.id)
        await run_channels(db, channels.event, neighbour, ("ja",))
    headers = hall_guest(web, settings, channels)
    guest = headers.pop("guest")

    listening = await web.get(channels.path("stream/pass"), params={"channel": "ja"}, headers=headers)
    floor = await web.get(channels.path("stream/pass"), headers=headers)
    next_door = await web.get(
        channels.path("stream/pass", session=neighbour), params={"channel": "ja"}, headers=headers
    )
    no_token = await web.get(channels.path("stream/pass"), params={"channel": "ja"}, headers=JSON)

    assert listening.status_code == 200, listening.text
    key = channel_key(channels.session.id or 0, "ja")
    assert read_viewer_pass(settings.secret_key, key, listening.json()["token"]) == guest
    assert floor.status_code == 403  # the floor's picture is for people signed in
    assert next_door.status_code == 403
    assert next_door.json()["error"] == "Your room code is for another room."
    assert no_token.status_code == 401


async def test_guests_are_refused_where_the_room_wants_people_signed_in(
    web: httpx.AsyncClient, settings: Settings, database: Database, channels: Stage
) -> None:
    async with database.session() as db:
        await factories.set_live_settings(db, channels.event, anonymous_guests=False)
    headers = hall_guest(web, settings, channels)
    headers.pop("guest")
    expired = {
        **headers,
        "X-Room-Token": room_token(
            settings.secret_key,
            event_id=channels.event.id or 0,
            session_id=channels.session.id or 0,
            issued_at=time.time() - 3 * 60 * 60,
        ),
    }

    refused = await web.get(channels.path("stream/pass"), params={"channel": "ja"}, headers=headers)
    stale = await web.get(channels.path("stream/pass"), params={"channel": "ja"}, headers=expired)

    assert refused.status_code == 401
    assert refused.json()["error"] == "Please sign in to take part in this room."
    assert stale.status_code == 401
    assert "expired" in stale.json()["error"]
