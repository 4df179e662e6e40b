"""Backups of the SQLite database: consistent while Podium runs (SQLite's online backup API)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy.engine import make_url

from server.settings import Settings


class BackupError(Exception):
    pass


def sqlite_path(settings: Settings) -> Path:
    if not settings.is_sqlite:
        raise BackupError(
            "podium backup and restore handle SQLite; for PostgreSQL use pg_dump and pg_restore (see deploy/README.md)."
        )
    database = make_url(settings.database_url).database
    if not database or database == ":memory:":
        raise BackupError("PODIUM_DATABASE_URL names no database file.")
    return Path(database)


def backup(settings: Settings, target: Path) -> int:
    """Copies the live database into ``target`` as one consistent snapshot; writers may go on meanwhile.
    Returns the backup's size in bytes."""
    source_path = sqlite_path(settings)
    if not source_path.exists():
        raise BackupError(f"There is no database at {source_path}.")
    if target.exists():
        raise BackupError(f"{target} exists already; choose a new file name.")
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        source = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True)
        destination = sqlite3.connect(partial)
        try:
            # All pages in one step, inside one read transaction: a snapshot of one moment. (Copying in steps
            # restarts whenever another connection writes, so under steady writes it might never finish.) In WAL
            # mode the writers go on meanwhile.
            source.backup(destination)
        finally:
            destination.close()
            source.close()
    except sqlite3.Error as exc:
        partial.unlink(missing_ok=True)
        raise BackupError(f"The backup to {target} failed: {exc}") from None
    try:
        _verify(partial)
    except BackupError:
        partial.unlink(missing_ok=True)
        raise
    partial.rename(target)  # only a verified backup ever carries the name asked for
    return target.stat().st_size


def _verify(path: Path) -> None:
    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            result = connection.execute("PRAGMA integrity_check").fetchone()
            tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        finally:
            connection.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} is not a SQLite database: {exc}") from None
    if result is None or result[0] != "ok":
        raise BackupError(f"{path} failed SQLite's integrity check: {result}")
    if "alembic_version" not in tables:
        raise BackupError(f"{path} is not a Podium database (it has no migration table).")


def restore(settings: Settings, source: Path) -> None:
    """Replaces the database with a verified backup. Stop every Podium process first."""
    target_path = sqlite_path(settings)
    if not source.exists():
        raise BackupError(f"There is no backup at {source}.")
    _verify(source)
    try:
        backup_connection = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        target = sqlite3.connect(target_path)
        try:
            # The backup API writes through SQLite itself, so the WAL and any reader stay consistent.
            backup_connection.backup(target)
            target.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            target.close()
            backup_connection.close()
    except sqlite3.Error as exc:
        raise BackupError(f"The restore into {target_path} failed: {exc}") from None
