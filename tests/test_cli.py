"""The ``podium`` command, run as an operator runs it: a real process, a real database file."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from server.agenda.interchange import DEMO_EVENT_FILE
from tests.support.ports import free_port, wait_for_port

pytestmark = pytest.mark.integration


def podium(*args: str, database: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "PODIUM_DATABASE_URL": f"sqlite:///{database}", **env}
    return subprocess.run(
        [sys.executable, "-m", "server.cli", *args],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
        check=False,
    )


@pytest.fixture
def database_file(tmp_path: Path) -> Path:
    path = tmp_path / "cli.db"
    assert podium("db", "upgrade", database=path).returncode == 0
    return path


def test_cli_import_then_export_is_lossless(database_file, tmp_path):
    imported = podium("import-event", str(DEMO_EVENT_FILE), database=database_file)
    assert imported.returncode == 0, imported.stderr
    assert "asian-dialogue-2021" in imported.stdout

    exported = tmp_path / "export.json"
    result = podium("export-event", "asian-dialogue-2021", "-o", str(exported), database=database_file)

    assert result.returncode == 0, result.stderr
    assert exported.read_text(encoding="utf-8") == DEMO_EVENT_FILE.read_text(encoding="utf-8")


def test_cli_import_if_empty_skips_a_loaded_database(database_file):
    assert podium("import-event", "--if-empty", str(DEMO_EVENT_FILE), database=database_file).returncode == 0
    again = podium("import-event", "--if-empty", str(DEMO_EVENT_FILE), database=database_file)
    assert again.returncode == 0
    assert again.stdout.strip() == "the database already holds events; nothing imported"


def test_cli_malformed_file_is_one_line_error_and_loads_nothing(database_file, tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text(DEMO_EVENT_FILE.read_text(encoding="utf-8").replace('"Asia/Shanghai"', '"Asia/Atlantis"', 1))

    result = podium("import-event", str(broken), database=database_file)

    assert result.returncode == 1
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("podium: error: event.timezone")
    assert "line" in result.stderr
    assert podium("export-event", "asian-dialogue-2021", database=database_file).returncode == 1


def test_cli_unknown_event_and_missing_file_are_readable_errors(database_file, tmp_path):
    unknown = podium("export-event", "no-such-event", database=database_file)
    assert unknown.returncode == 1
    assert unknown.stderr == "podium: error: There is no event called 'no-such-event'.\n"

    missing = podium("import-event", str(tmp_path / "absent.json"), database=database_file)
    assert missing.returncode == 1
    assert missing.stderr.startswith("podium: error: cannot read")


def test_cli_refuses_development_secret_in_production(tmp_path):
    result = podium("db", "upgrade", database=tmp_path / "prod.db", PODIUM_ENV="production")
    assert result.returncode == 1
    assert "PODIUM_SECRET_KEY must be set" in result.stderr
    assert not (tmp_path / "prod.db").exists()


def test_cli_grant_admin_and_revoke_role(database_file):
    assert podium("import-event", str(DEMO_EVENT_FILE), database=database_file).returncode == 0
    slug = "asian-dialogue-2021"
    granted = podium("grant-role", slug, "chair@example.org", "moderator", database=database_file)

    admin = podium("grant-admin", "Root@Example.org", "--name", "Site Admin", database=database_file)
    revoked = podium("revoke-role", slug, "chair@example.org", "moderator", database=database_file)
    again = podium("revoke-role", slug, "chair@example.org", "moderator", database=database_file)

    assert granted.stdout == f"chair@example.org is moderator of {slug}\n"
    assert (admin.returncode, admin.stdout) == (0, "root@example.org is an instance admin\n")
    assert (revoked.returncode, revoked.stdout) == (0, f"chair@example.org is no longer moderator of {slug}\n")
    assert (again.returncode, again.stderr) == (
        1,
        "podium: error: chair@example.org has no role moderator in this event.\n",
    )


def test_cli_help_lists_every_command():
    result = subprocess.run([sys.executable, "-m", "server.cli", "--help"], capture_output=True, text=True, check=False)
    assert result.returncode == 0
    for command in ("serve", "db", "import-event", "export-event"):
        assert command in result.stdout


def test_serve_answers_live_rooms_over_websocket_without_compression(database_file: Path) -> None:
    """A browser offers permessage-deflate; ``podium serve`` declines it, so a live-room connection stays small."""
    import asyncio

    import websockets

    port = free_port()
    environment = {**os.environ, "PODIUM_DATABASE_URL": f"sqlite:///{database_file}"}
    server = subprocess.Popen(
        [sys.executable, "-m", "server.cli", "serve", "--port", str(port)],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )

    async def handshake() -> tuple[str | None, str]:
        url = f"ws://127.0.0.1:{port}/socket.io/?EIO=4&transport=websocket"
        async with websockets.connect(url, compression="deflate", origin="http://127.0.0.1:8000") as connection:
            opening = await asyncio.wait_for(connection.recv(), 10)
            return connection.response.headers.get("Sec-WebSocket-Extensions"), str(opening)

    try:
        wait_for_port(port, server, "podium serve")
        extensions, opening = asyncio.run(handshake())
    finally:
        server.terminate()
        server.wait(timeout=20)

    assert opening.startswith('0{"sid":')  # Engine.IO's open packet: the live rooms answered
    assert extensions is None


@pytest.mark.parametrize(
    ("field", "old", "new"),
    [
        ("event.start_date", "2021-10-27", "0001-01-01"),
        ("sessions[0].start", "2021-10-27T09:00", "0001-01-01T00:00"),
    ],
)
def test_cli_the_year_one_is_a_one_line_error(database_file, tmp_path, field, old, new):
    text = DEMO_EVENT_FILE.read_text(encoding="utf-8")
    early = tmp_path / "early.json"
    early.write_text(text.replace(f'"{old}"', f'"{new}"', 1), encoding="utf-8")

    result = podium("import-event", str(early), database=database_file)

    assert result.returncode == 1
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith(f"podium: error: {field} (line ")
    assert result.stderr.endswith(f'"{new}" is outside the years 1900 to 2999\n')
