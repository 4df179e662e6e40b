from __future__ import annotations

from pathlib import Path

import pytest

from server.settings import Settings


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    """Uploads land in this test's own folder, whichever database it runs on."""
    return Settings.from_env(
        {"PODIUM_ENV": "test", "PODIUM_DATABASE_URL": database_url, "PODIUM_MEDIA_DIR": str(tmp_path / "media")}
    )
