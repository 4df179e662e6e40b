"""``podium backup`` while writes go on gives a consistent snapshot; ``podium restore`` brings it back."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import sys
from pathlib import Path

import pytest
from sqlmodel import func, select

from server.db import Database
from server.mail.models import OutboxMail
from tests.support.commands import podium

pytestmark = pytest.mark.integration


async def podium_async(*args: str, database: Path) -> tuple[int, str, str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith("PODIUM_")}
    env |= {"PODIUM_ENV": "test", "PODIUM_DATABASE_URL": f"sqlite:///{database}"}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "server.cli",
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    return process.returncode or 0, out.decode(), err.decode()


def pairs(path: Path) -> list[str]:
    """Recipients in the file; each write commits an ``n@a`` and ``n@b`` together."""
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return [row[0] for row in connection.execute("SELECT recipient FROM outboxmail ORDER BY id")]
    finally:
        connection.close()


def assert_consistent(recipients: list[str]) -> int:
    """Whole transactions only, in commit order, none missing: returns how many."""
    count = len(recipients) // 2
    assert recipients == [f"{n}@{side}" for n in range(count) for side in "ab"]
    return count


async def test_backup_while_writing_then_restore_is_consistent(database_url, database: Database, tmp_path):
    live = Path(database_url.removeprefix("sqlite+aiosqlite:///"))
    stop = asyncio.Event()
    written = 0

    async def writer() -> None:
        nonlocal written
        while not stop.is_set():
            async with database.session() as db:
                db.add(OutboxMail(recipient=f"{written}@a", subject="s", body="b"))
                db.add(OutboxMail(recipient=f"{written}@b", subject="s", body="b"))
                await db.commit()
            written += 1
            await asyncio.sleep(0)

    writing = asyncio.create_task(writer())
    while written < 50:
        await asyncio.sleep(0.01)
    snapshots = []
    for n in range(3):
        before = written
        code, out, err = await podium_async("backup", str(tmp_path / f"backup-{n}.db"), database=live)
        assert code == 0, err
        assert out.startswith(f"backed up the database to {tmp_path / f'backup-{n}.db'} (")
        snapshots.append((before, written))
    stop.set()
    await writing
    await database.dispose()

    counts = [assert_consistent(pairs(tmp_path / f"backup-{n}.db")) for n in range(3)]
    for (before, after), count in zip(snapshots, counts, strict=True):
        assert before <= count <= after
    assert counts == sorted(counts) and counts[0] < counts[2]
    assert not list(tmp_path.glob("*.partial"))

    # Restore the middle backup over the live file (Podium stopped), and onto a fresh machine.
    fresh = tmp_path / "fresh" / "podium.db"
    fresh.parent.mkdir()
    for target in (live, fresh):
        code, out, err = await podium_async("restore", str(tmp_path / "backup-1.db"), database=target)
        assert (code, out) == (0, f"restored the database from {tmp_path / 'backup-1.db'}\n"), err
        assert assert_consistent(pairs(target)) == counts[1]
        restored = Database(f"sqlite+aiosqlite:///{target}")
        async with restored.session() as db:
            assert (await db.exec(select(func.count()).select_from(OutboxMail))).one() == 2 * counts[1]
        await restored.dispose()
        code, out, _ = await podium_async("check", database=target)
        assert (code, out) == (0, "configuration looks good\n")


def test_backup_refuses_to_overwrite_and_restore_refuses_foreign_files(database_url, tmp_path):
    live = database_url.removeprefix("sqlite+aiosqlite:///")
    env = {"PODIUM_ENV": "test", "PODIUM_DATABASE_URL": f"sqlite:///{live}"}
    existing = tmp_path / "existing.db"
    existing.write_bytes(b"")
    foreign = tmp_path / "foreign.db"
    sqlite3.connect(foreign).close()
    junk = tmp_path / "junk.db"
    junk.write_text("not a database at all, just some text" * 100)

    overwrite = podium("backup", str(existing), env=env)
    not_podium = podium("restore", str(foreign), env=env)
    not_sqlite = podium("restore", str(junk), env=env)

    assert overwrite.stderr == f"podium: error: {existing} exists already; choose a new file name.\n"
    assert not_podium.stderr == f"podium: error: {foreign} is not a Podium database (it has no migration table).\n"
    assert not_sqlite.stderr.startswith(f"podium: error: {junk} is not a SQLite database: ")
    assert {overwrite.returncode, not_podium.returncode, not_sqlite.returncode} == {1}


def test_backup_of_postgresql_points_to_pg_dump(tmp_path):
    result = podium(
        "backup", str(tmp_path / "b.db"), env={"PODIUM_ENV": "test", "PODIUM_DATABASE_URL": "postgresql://p@db/p"}
    )
    assert result.returncode == 1
    assert result.stderr == (
        "podium: error: podium backup and restore handle SQLite; for PostgreSQL use pg_dump and pg_restore "
        "(see deploy/README.md).\n"
    )
