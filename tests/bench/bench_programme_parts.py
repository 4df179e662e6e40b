"""A back-office save on SQLite with the demo event: an organiser saves a room's form (validation, version check,
audit entry, the event's version moved on, one transaction), then loads the list the redirect leads to. In-process through the ASGI app, one request at a time. Baseline in the same run: the same app answering
``/healthz`` (the stack without the work), and a bare UPDATE + commit of the room through the same engine.

Run: .venv/bin/python -m tests.bench.bench_programme_parts [--saves 300]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from pathlib import Path

import httpx
from sqlmodel import col, select, update

from server.accounts.models import Role
from server.agenda.interchange import DEMO_EVENT_FILE, import_event, parse_event_file
from server.agenda.models import Room
from server.app import create_app
from server.db import Database, begin_write
from server.migrations import upgrade
from server.settings import Settings
from tests.bench.serving import median, scratch_folder
from tests.support import factories
from tests.support.http import CSRF_COOKIE


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


async def measure(folder: Path, saves: int) -> dict[str, list[float]]:
    url = f"sqlite+aiosqlite:///{folder / 'bench.db'}"
    await upgrade(url)
    settings = Settings.from_env({"PODIUM_ENV": "test", "PODIUM_DATABASE_URL": url, "PODIUM_MEDIA_DIR": str(folder)})
    database = Database(settings.database_url)
    async with database.session() as db:
        event = await import_event(db, document=parse_event_file(DEMO_EVENT_FILE.read_text(encoding="utf-8")))
        organiser = await factories.person(db, event, "Bench Organiser", role=Role.organiser)
        room = (await db.exec(select(Room).where(Room.slug == "jade-room"))).one()
    app = create_app(settings, database)
    figures: dict[str, list[float]] = {"room save": [], "the list after it": [], "healthz": [], "bare update": []}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://podium.test") as client:
        client.cookies.set("podium_session", organiser.token)
        await client.get("/signin")
        token = client.cookies[CSRF_COOKIE]
        address = f"/{event.slug}/organiser/programme-parts/room/{room.id}"
        version = room.version
        for number in range(saves):
            form = {
                "csrf_token": token,
                "name": f"Jade Room {number}",
                "slug": "jade-room",
                "description": room.description,
                "capacity": str(180 + number % 20),
                "version": str(version),
            }
            started = time.perf_counter()
            saved = await client.post(address, data=form)
            figures["room save"].append(time.perf_counter() - started)
            assert saved.status_code == 303, saved.status_code
            started = time.perf_counter()
            listed = await client.get(saved.headers["location"])
            figures["the list after it"].append(time.perf_counter() - started)
            assert listed.status_code == 200, listed.status_code
            version += 1
            started = time.perf_counter()
            await client.get("/healthz")
            figures["healthz"].append(time.perf_counter() - started)
            started = time.perf_counter()
            async with database.session() as db:
                await begin_write(db)
                await db.exec(update(Room).where(col(Room.id) == room.id).values(description=f"bare {number}"))
                await db.commit()
            figures["bare update"].append(time.perf_counter() - started)
    await database.dispose()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--saves", type=int, default=300)
    args = parser.parse_args()
    with scratch_folder() as folder:
        figures = asyncio.run(measure(Path(folder), args.saves))
    print(f"SQLite, demo event, {args.saves} saves one after another (ms):")
    print(f"{'':24}{'median':>10}{'p95':>10}")
    for name, values in figures.items():
        print(f"{name:24}{median(values) * 1000:>10.2f}{percentile(values, 0.95) * 1000:>10.2f}")


if __name__ == "__main__":
    main()
