"""Where a live-room guest connection's memory goes: Podium's own objects per connection, by tracemalloc.

The server runs in this process (uvicorn in a thread); the guests connect from another process, so only the
server's allocations are counted. Prints the bytes per connection in all, and those allocated by Podium's own
code (server/, realtime/) with the lines that hold most.

    .venv/bin/python -m tests.bench.memory_probe --guests 400
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from realtime.live.asgi import create_asgi
from server.db import Database
from server.live.access import room_token
from server.settings import Settings
from tests.bench.serving import demo_database
from tests.support import factories
from tests.support.servers import ThreadedServer

GUESTS = r"""
import asyncio, sys, socketio
async def main(url, token, session, count):
    guests = []
    for _ in range(count):
        guest = socketio.AsyncClient()
        await guest.connect(url, namespaces=["/live"], transports=["websocket"], auth={"room_token": token})
        await guest.call("join", {"session": session}, namespace="/live")
        guests.append(guest)
    print("joined", flush=True)
    await asyncio.sleep(3600)
asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])))
"""


async def open_room(settings: Settings) -> tuple[str, int]:
    """The first session's room, open to guests: its QR token and id."""
    database = Database(settings.database_url)
    async with database.session() as db:
        event = await factories.event_by_slug(db, "asian-dialogue-2021")
        session = (await factories.sessions_of(db, event))[0]
        await factories.set_live_settings(db, event, anonymous_guests=True)
    await database.dispose()
    return room_token(settings.secret_key, event_id=event.id or 0, session_id=session.id or 0), session.id or 0


def guests(url: str, token: str, session: int, count: int) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, "-c", GUESTS, url, token, str(session), str(count)], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None and process.stdout.readline().strip() == "joined"
    return process


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--guests", type=int, default=400)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        env = {**demo_database(Path(folder)), "PODIUM_LIVE_GUESTS_PER_ADDRESS": str(args.guests * 2)}
        settings = Settings.from_env(env)
        token, session = asyncio.run(open_room(settings))
        server = ThreadedServer(create_asgi(settings, deliver_mail=False, settle_gc=False))
        server.start()
        warm = guests(server.url, token, session, 20)  # what serving any guest costs once is left out
        time.sleep(2)
        tracemalloc.start(3)
        before = tracemalloc.take_snapshot()
        crowd = guests(server.url, token, session, args.guests)
        time.sleep(3)
        grown = tracemalloc.take_snapshot().compare_to(before, "lineno")
        crowd.kill()
        warm.kill()
        server.stop()
    ours = [
        stat
        for stat in grown
        if "/site-packages/" not in str(stat.traceback[0]) and "/lib/python3" not in str(stat.traceback[0])
    ]
    print(f"per connection: {sum(stat.size_diff for stat in grown) / args.guests:.0f} bytes")
    print(f"Podium's own objects per connection: {sum(stat.size_diff for stat in ours) / args.guests:.0f} bytes")
    for stat in ours[:12]:
        print(f"{stat.size_diff / args.guests:7.0f} B  {stat.traceback[0]}")


if __name__ == "__main__":
    main()
