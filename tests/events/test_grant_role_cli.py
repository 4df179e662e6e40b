"""``podium grant-role EMAIL admin`` makes an instance admin (who may create events), beside the per-event form."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration


def podium(*args: str, database: Path) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "PODIUM_DATABASE_URL": f"sqlite:///{database}"}
    return subprocess.run(
        [sys.executable, "-m", "server.cli", *args], capture_output=True, text=True, env=environment, timeout=120
    )


def test_grant_role_admin_makes_an_instance_admin_who_may_create_events(tmp_path: Path):
    database = tmp_path / "cli.db"
    assert podium("db", "upgrade", database=database).returncode == 0

    granted = podium("grant-role", "Root@Example.org", "admin", database=database)
    unknown = podium("grant-role", "root@example.org", "organiser", database=database)
    old_way = podium("grant-admin", "second@example.org", database=database)

    assert (granted.returncode, granted.stdout) == (0, "root@example.org is an instance admin\n")
    assert unknown.returncode == 1
    assert unknown.stderr.startswith("podium: error: without an event the only role is 'admin'")
    assert (old_way.returncode, old_way.stdout) == (0, "second@example.org is an instance admin\n")
    with sqlite3.connect(database) as connection:
        accounts = connection.execute("SELECT email, admin FROM account ORDER BY email").fetchall()
    assert accounts == [("root@example.org", 1), ("second@example.org", 1)]
