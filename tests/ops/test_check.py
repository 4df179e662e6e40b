"""``podium check`` names each problem of a broken configuration; ``podium serve`` refuses production with the
development secret. Both run as an operator runs them: real processes, real databases."""

from __future__ import annotations

import sqlite3

import pytest

from tests.support.commands import podium
from tests.support.ports import free_port

GOOD_SECRET = "s" * 40  # long enough for production


@pytest.mark.integration
def test_check_broken_configuration_names_each_problem():
    closed = free_port()
    result = podium(
        "check",
        env={
            "PODIUM_ENV": "production",
            "PODIUM_DATABASE_URL": f"postgresql://podium@127.0.0.1:{closed}/podium",
            "PODIUM_REDIS_URL": f"redis://127.0.0.1:{closed}/0",
            "PODIUM_BASE_URL": "http://podium.example.org",
            "PODIUM_RELAY_TURN_URLS": "turn:turn.podium.example.org:3478",
            "PODIUM_SMTP_HOST": "smtp.example.org",
        },
    )

    lines = result.stdout.splitlines()
    assert result.returncode == 1, result.stderr
    assert lines[:3] == [
        "PODIUM_SECRET_KEY must be set to a secret of your own when PODIUM_ENV=production",
        "PODIUM_BASE_URL should be an https:// address in production: cookies would not be Secure.",
        "PODIUM_RELAY_TURN_URLS is set but PODIUM_RELAY_TURN_SECRET is not: TURN credentials cannot be made "
        "(use coturn's static-auth-secret).",
    ]
    assert lines[3].startswith("The database at PODIUM_DATABASE_URL cannot be reached: ")
    assert lines[4].startswith("Redis at PODIUM_REDIS_URL cannot be reached: ")
    assert len(lines) == 5
    assert "configuration looks good" not in result.stdout


@pytest.mark.integration
def test_check_unmigrated_database_is_named(tmp_path):
    database = tmp_path / "empty.db"
    sqlite3.connect(database).close()

    result = podium("check", env={"PODIUM_ENV": "test", "PODIUM_DATABASE_URL": f"sqlite:///{database}"})

    assert result.returncode == 1
    assert result.stdout.startswith("The database is not migrated (at nothing, code expects ")
    assert result.stdout.rstrip().endswith("run `podium db upgrade`.")


@pytest.mark.integration
def test_check_missing_database_file_is_named_and_not_created(tmp_path):
    database = tmp_path / "absent.db"

    result = podium("check", env={"PODIUM_ENV": "test", "PODIUM_DATABASE_URL": f"sqlite:///{database}"})

    assert result.returncode == 1
    assert result.stdout == f"There is no database file at {database}: run `podium db upgrade` to create it.\n"
    assert not database.exists()


@pytest.mark.integration
def test_check_good_configuration_looks_good(tmp_path):
    env = {"PODIUM_ENV": "test", "PODIUM_DATABASE_URL": f"sqlite:///{tmp_path / 'podium.db'}"}
    assert podium("db", "upgrade", env=env).returncode == 0

    result = podium("check", env=env)

    assert (result.returncode, result.stdout) == (0, "configuration looks good\n")


@pytest.mark.integration
def test_check_production_warnings_do_not_fail(tmp_path):
    env = {
        "PODIUM_ENV": "production",
        "PODIUM_SECRET_KEY": GOOD_SECRET,
        "PODIUM_BASE_URL": "https://podium.example.org",
        "PODIUM_DATABASE_URL": f"sqlite:///{tmp_path / 'podium.db'}",
    }
    assert podium("db", "upgrade", env=env).returncode == 0

    result = podium("check", env=env)

    assert result.returncode == 0
    assert result.stdout.splitlines() == [
        "warning: PODIUM_SMTP_HOST is not set: sign-in and confirmation mails stay in the outbox table.",
        "warning: The database is SQLite: run a single app process (several need PostgreSQL and Redis).",
        "configuration looks good",
    ]

    # TURN without its way through networks that let only HTTPS out, or with one whose certificate cannot match.
    turn = {"PODIUM_RELAY_TURN_SECRET": "t" * 32, "PODIUM_SMTP_HOST": "smtp.example.org"}
    udp_only = podium("check", env={**env, **turn, "PODIUM_RELAY_TURN_URLS": "turn:turn.example.org:3478"})
    by_address = podium(
        "check",
        env={**env, **turn, "PODIUM_RELAY_TURN_URLS": "turn:turn.example.org turns:203.0.113.11:443?transport=tcp"},
    )
    named = podium(
        "check",
        env={**env, **turn, "PODIUM_RELAY_TURN_URLS": "turn:turn.example.org turns:turn.example.org:443?transport=tcp"},
    )

    assert [result.returncode for result in (udp_only, by_address, named)] == [0, 0, 0]
    assert udp_only.stdout.splitlines()[1] == (
        "warning: PODIUM_RELAY_TURN_URLS has no turns: address (TURN over TLS on port 443): viewers on networks that "
        "let only HTTPS out cannot watch over WebRTC."
    )
    assert by_address.stdout.splitlines()[1].startswith(
        "warning: PODIUM_RELAY_TURN_URLS names the TURN server by its address in turns:203.0.113.11:443?transport=tcp"
    )
    assert named.stdout.splitlines()[1:] == ["configuration looks good"]


@pytest.mark.integration
def test_serve_refuses_production_with_development_secret(tmp_path):
    database = tmp_path / "prod.db"
    env = {
        "PODIUM_ENV": "production",
        "PODIUM_DATABASE_URL": f"sqlite:///{database}",
        "PODIUM_BASE_URL": "https://podium.example.org",
    }

    result = podium("serve", "--port", str(free_port()), env=env, timeout=30)

    assert result.returncode == 1
    assert result.stderr == (
        "podium: error: PODIUM_SECRET_KEY must be set to a secret of your own when PODIUM_ENV=production\n"
    )
    assert result.stdout == ""
    assert not database.exists()


@pytest.mark.integration
def test_serve_names_every_problem_before_refusing():
    result = podium(
        "serve",
        "--port",
        str(free_port()),
        env={"PODIUM_ENV": "production", "PODIUM_SECRET_KEY": "short", "PODIUM_LOG_FORMAT": "xml"},
        timeout=30,
    )

    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "podium: error: PODIUM_SECRET_KEY must be at least 32 characters long in production",
        "PODIUM_LOG_FORMAT must be json or text, not 'xml'",
    ]
