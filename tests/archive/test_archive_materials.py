"""A session's materials after its end: one marked for delegates opens to everyone once the session has ended and
its archive is published, and not before; on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from server import clock
from server.agenda.models import SessionMaterial
from server.archive.models import SessionArchive
from server.db import Database
from tests.support.http import as_person
from tests.support.world import World

pytestmark = pytest.mark.integration
BOTH_BACKENDS = pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
RECOMMENDATIONS = "https://example.org/recommendations.pdf"


async def delegates_only_link(database: Database, world: World) -> str:
    async with database.session() as db:
        material = SessionMaterial(
            event_id=world.event.id or 0,
            session_id=world.session.id or 0,
            kind="link",
            title="Recommendations",
            url=RECOMMENDATIONS,
            delegates_only=True,
        )
        db.add(material)
        await db.commit()
        return f"/{world.event.slug}/materials/{material.id}"


async def publish_archive(database: Database, world: World) -> None:
    async with database.session() as db:
        db.add(SessionArchive(session_id=world.session.id or 0, event_id=world.event.id or 0, archive_published=True))
        await db.commit()


@BOTH_BACKENDS
async def test_delegates_material_opens_to_everyone_once_the_archive_is_published(
    web: httpx.AsyncClient, database: Database, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    address = await delegates_only_link(database, world)

    before = await as_person(web, None).get(address)
    outsider_before = await as_person(web, world.outsider).get(address)
    delegate = await as_person(web, world.delegate).get(address)
    await publish_archive(database, world)
    after = await as_person(web, None).get(address)
    outsider_after = await as_person(web, world.outsider).get(address)
    monkeypatch.setattr(clock, "utcnow", lambda: world.session.end - dt.timedelta(minutes=5))
    during = await as_person(web, None).get(address)

    assert (before.status_code, before.headers["location"].split("?")[0]) == (303, "/signin")
    assert outsider_before.status_code == 404
    assert (delegate.status_code, delegate.headers["location"]) == (303, RECOMMENDATIONS)
    assert (after.status_code, after.headers["location"]) == (303, RECOMMENDATIONS)
    assert (outsider_after.status_code, outsider_after.headers["location"]) == (303, RECOMMENDATIONS)
    assert (during.status_code, during.headers["location"].split("?")[0]) == (303, "/signin")


async def test_another_events_published_archive_opens_nothing_here(
    web: httpx.AsyncClient, database: Database, world: World
) -> None:
    address = await delegates_only_link(database, world)
    async with database.session() as db:
        db.add(
            SessionArchive(
                session_id=world.other_session.id or 0, event_id=world.other_event.id or 0, archive_published=True
            )
        )
        await db.commit()

    response = await as_person(web, world.outsider).get(address)

    assert response.status_code == 404
