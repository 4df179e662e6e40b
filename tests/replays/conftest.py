"""A session's recording and replay: the demo event's sessions (all in the past), people in every role around one
of them, and a media folder of the test's own."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from server.db import Database
from server.settings import Settings
from tests.support.speaker_stage import Stage, build_stage


@pytest.fixture
def settings(settings: Settings, tmp_path: Path) -> Settings:
    return replace(settings, media_dir=tmp_path / "media")


@pytest.fixture
async def stage(database: Database, demo_event: str) -> Stage:
    return await build_stage(database, demo_event)
