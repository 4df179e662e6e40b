"""The relay registry's tests: one session of the demo event, with people in every role around it."""

from __future__ import annotations

import pytest

from server.db import Database
from tests.support.speaker_stage import Stage, build_stage


@pytest.fixture
async def stage(database: Database, demo_event: str) -> Stage:
    return await build_stage(database, demo_event)
