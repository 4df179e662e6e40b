"""Browser fixtures: Chromium with axe-core, Chromium with a fake camera, and a stream site with its cast."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from realtime.media.internals import restrict_host_addresses
from server.db import Database
from tests.support.browser import AXE, chromium
from tests.support.requirements import require
from tests.support.stream_site import MEDIA_ARGS, StreamSite, StreamStage, cast_of


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    require("axe-core (npm install --prefix web)", AXE.exists())
    async with chromium() as launched:
        yield launched


@pytest.fixture
async def stage(database_url: str, database: Database, demo_event: str) -> AsyncIterator[StreamStage]:
    cast = await cast_of(database, demo_event)
    site = StreamSite(database_url)
    site.start()
    try:
        yield StreamStage(site, cast.event, cast.session, cast.speaker, cast.delegate, cast.moderator)
    finally:
        site.stop()
        restrict_host_addresses([])


@pytest.fixture
async def media_browser() -> AsyncIterator[Any]:
    async with chromium(*MEDIA_ARGS) as launched:
        yield launched
