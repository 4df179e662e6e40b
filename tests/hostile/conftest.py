"""The whole app (pages, API, live rooms' HTTP side, the embedded relay) for hostile requests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from realtime.live.asgi import create_asgi
from server.accounts.models import Role
from server.db import Database
from server.settings import Settings
from tests.support import factories
from tests.support.hostile import Site
from tests.support.http import ORIGIN


@pytest.fixture
def settings(settings: Settings, tmp_path: Path) -> Settings:
    return replace(settings, media_dir=tmp_path / "media")


@pytest.fixture
async def site(settings: Settings, database: Database, demo_event: str) -> AsyncIterator[Site]:
    async with database.session() as db:
        event = await factories.event_by_slug(db, demo_event)
        session = (await factories.sessions_of(db, event))[1]
        # Also an instance admin, so the sweep of every route reaches the admin pages too.
        organiser = await factories.person(db, event, "Organiser One", role=Role.organiser, admin=True)
    app = create_asgi(settings, database, deliver_mail=False, settle_gc=False)
    # A crash must show as a 500 here, as a browser would see it, not as an exception in the test.
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url=ORIGIN) as client:
        yield Site(app, client, event, session, organiser, settings.media_dir)
    await app.relay.close()
