"""Scratch PostgreSQL databases for tests, created on the shared server (or a private cluster) and dropped after."""

from __future__ import annotations

import os
import uuid

import asyncpg

POSTGRES_ADMIN_URL = os.environ.get("PODIUM_TEST_POSTGRES_URL", "postgresql://root@127.0.0.1:5432/test")


async def create_postgres_database(admin_url: str) -> str:
    name = f"podium_test_{uuid.uuid4().hex[:12]}"
    connection = await asyncpg.connect(admin_url)
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return admin_url.rsplit("/", 1)[0] + f"/{name}"


async def drop_postgres_database(admin_url: str, url: str) -> None:
    name = url.rsplit("/", 1)[1]
    connection = await asyncpg.connect(admin_url)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()
