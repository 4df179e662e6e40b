"""Organisers plan the channels in the back office: a room's (inherited by its sessions), a session's own (which
overrides it), never a language the event does not offer; each change is audited."""

from __future__ import annotations

import httpx
import pytest
from sqlmodel import select

from server.agenda.models import Session
from server.audit.models import AuditEntry
from server.db import Database
from server.interpretation.channels import running_channels
from tests.support.booths import Booths
from tests.support.http import as_person, post

pytestmark = [pytest.mark.integration, pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)]


async def _running(database: Database, booths: Booths, session_id: int) -> list[str]:
    async with database.session() as db:
        session = await db.get_one(Session, session_id)
        return await running_channels(db, event=booths.world.event, session=session)


async def test_room_plan_reaches_its_sessions_and_a_session_plan_overrides_it(
    booth_web: httpx.AsyncClient, booths: Booths, database: Database
) -> None:
    world = booths.world
    slug = world.event.slug
    second = world.second
    assert second.room_id is not None
    client = as_person(booth_web, world.organiser)
    room_page = f"/{slug}/organiser/programme-parts/room/{second.room_id}"
    session_page = f"/{slug}/organiser/live/sessions/{second.id}"

    planned = await post(client, room_page + "/channels", {"languages": ["zh", "ja"]})
    shown = await client.get(room_page)
    inherited = await _running(database, booths, second.id or 0)
    own = await post(client, session_page + "/channels", {"follow": "own", "languages": ["en"]})
    settings_page = await client.get(session_page)
    overridden = await _running(database, booths, second.id or 0)
    none = await post(client, session_page + "/channels", {"follow": "own"})
    silent = await _running(database, booths, second.id or 0)
    back = await post(client, session_page + "/channels", {"follow": "room", "languages": ["en"]})
    followed = await _running(database, booths, second.id or 0)
    async with database.session() as db:
        audit = (await db.exec(select(AuditEntry.action).where(AuditEntry.action.startswith("interpretation.")))).all()

    assert planned.status_code == back.status_code == own.status_code == none.status_code == 303
    assert 'id="room-channel-ja" name="languages" value="ja" checked' in shown.text
    assert 'id="session-channel-en" name="languages" value="en" checked' in settings_page.text
    assert (inherited, overridden, silent, followed) == (["ja", "zh"], ["en"], [], ["ja", "zh"])
    assert audit == ["interpretation.room_channels"] + ["interpretation.session_channels"] * 3


async def test_a_language_the_event_does_not_offer_is_refused_with_its_name(
    booth_web: httpx.AsyncClient, booths: Booths, database: Database
) -> None:
    world = booths.world
    client = as_person(booth_web, world.organiser)
    page = f"/{world.event.slug}/organiser/programme-parts/room/{world.second.room_id}"

    refused = await post(client, page + "/channels", {"languages": ["ja", "ko"]})
    shown = await client.get(refused.headers["location"])

    assert refused.status_code == 303
    assert "This event does not offer Korean: choose among its languages." in shown.text
    assert await _running(database, booths, world.second.id or 0) == []


@pytest.mark.parametrize("who", ["moderator", "ja_one", "other_moderator", None])
async def test_only_organisers_plan_channels(booth_web: httpx.AsyncClient, booths: Booths, who: str | None) -> None:
    world = booths.world
    person = {"moderator": world.moderator, "ja_one": booths.ja_one, "other_moderator": world.other_moderator}
    client = as_person(booth_web, person[who] if who else None)

    refused = await post(
        client,
        f"/{world.event.slug}/organiser/programme-parts/room/{world.second.room_id}/channels",
        {"languages": ["ja"]},
    )

    assert refused.status_code == 404
