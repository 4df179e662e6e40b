"""A live site for browser tests: ``create_asgi`` under uvicorn on a port chosen first, so that the
settings' base URL (the only origin Socket.IO accepts) is the address the browser uses."""

from __future__ import annotations

import asyncio
from typing import Any

from realtime.live.asgi import create_asgi
from server.settings import Settings
from tests.conftest import ThreadedServer, free_port


def site_settings(database_url: str, port: int) -> Settings:
    return Settings.from_env(
        {"PODIUM_ENV": "test", "PODIUM_DATABASE_URL": database_url, "PODIUM_BASE_URL": f"http://127.0.0.1:{port}"}
    )


class LiveSite(ThreadedServer):
    def __init__(self, database_url: str) -> None:
        port = free_port()
        self.settings = site_settings(database_url, port)
        super().__init__(create_asgi(self.settings, deliver_mail=False), port=port)

    @property
    def live(self) -> Any:
        return self.app.live

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
