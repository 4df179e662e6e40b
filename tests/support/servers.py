"""Real uvicorn servers in a thread, for browsers and socket clients: the pages alone, the live rooms, and a live
site whose port is chosen first so that its base URL (the only origin Socket.IO accepts) is the browser's."""

from __future__ import annotations

import asyncio
import tempfile
import threading
import time
from typing import Any

import uvicorn

from realtime.live.asgi import create_asgi
from server.app import create_app
from server.settings import Settings
from tests.support.ports import free_port


class ThreadedServer:
    """A real uvicorn server in a thread, for browsers and socket clients."""

    def __init__(self, app: Any, *, port: int | None = None) -> None:
        self.app = app
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError(f"the server on port {self.port} did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


class LiveServer(ThreadedServer):
    """The Starlette app alone (no Socket.IO), as the agenda and registration pages need it."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(create_app(settings))


class LiveRoomsServer(ThreadedServer):
    """``create_asgi`` served by uvicorn in a thread, as `podium serve` serves it."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(create_asgi(settings, deliver_mail=False, settle_gc=False))

    @property
    def live(self) -> Any:
        return self.app.live


def site_settings(database_url: str, port: int, *, smtp_port: int | None = None, hls: bool = False) -> Settings:
    """The settings of a site on ``port``; with ``smtp_port``, its mail goes by plain SMTP to that local port. Its
    relay writes HLS only when ``hls`` (an H.264 encoder per live stream is CPU the other tests need not spend)."""
    environ = {"PODIUM_ENV": "test", "PODIUM_DATABASE_URL": database_url, "PODIUM_BASE_URL": f"http://127.0.0.1:{port}"}
    environ["PODIUM_RELAY_HLS"] = "1" if hls else "0"
    if not database_url.startswith("sqlite"):  # SQLite's media folder is beside the database, in the test's folder
        environ["PODIUM_MEDIA_DIR"] = tempfile.mkdtemp(prefix="podium-site-media-")  # uploads, the relay's recordings
    if smtp_port is not None:
        environ |= {
            "PODIUM_SMTP_HOST": "127.0.0.1",
            "PODIUM_SMTP_PORT": str(smtp_port),
            "PODIUM_SMTP_STARTTLS": "false",
        }
    return Settings.from_env(environ)


class LiveSite(ThreadedServer):
    """The whole site for a browser, on a port chosen before the settings so that its base URL is right. With
    ``smtp_port`` it also delivers its outbox, by SMTP to that port (a ``tests/support/smtp_sink.py`` sink)."""

    def __init__(self, database_url: str, *, smtp_port: int | None = None, hls: bool = False) -> None:
        port = free_port()
        self.settings = site_settings(database_url, port, smtp_port=smtp_port, hls=hls)
        super().__init__(create_asgi(self.settings, deliver_mail=smtp_port is not None), port=port)

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
