"""A live site for browser tests: ``create_asgi`` under uvicorn on a port chosen first, so that the
settings' base URL (the only origin Socket.IO accepts) is the address the browser uses."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import uvicorn

from realtime.live.asgi import create_asgi
from server.settings import Settings
from tests.conftest import free_port


def site_settings(database_url: str, port: int) -> Settings:
    return Settings.from_env(
        {"PODIUM_ENV": "test", "PODIUM_DATABASE_URL": database_url, "PODIUM_BASE_URL": f"http://127.0.0.1:{port}"}
    )


class LiveSite:
    def __init__(self, database_url: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.settings = site_settings(database_url, self.port)
        self.app = create_asgi(self.settings, deliver_mail=False)
        config = uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def live(self) -> Any:
        return self.app.live

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the live site did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)

    async def drop_connections(self, account_id: int) -> int:
        """Closes, from the server's side, every live connection of one account (a network cut)."""
        live = self.live
        sids = [
            sid
            for sid, connection in list(live.connections.items())
            if connection.identity.account is not None and connection.identity.account.id == account_id
        ]
        for sid in sids:
            future = asyncio.run_coroutine_threadsafe(live.sio.disconnect(sid, namespace="/live"), live.loop)
            await asyncio.wrap_future(future)
        return len(sids)
