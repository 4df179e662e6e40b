"""The one ASGI application: Socket.IO for live rooms in front of the Starlette app (pages, API)."""

from __future__ import annotations

import gc
import os
from typing import Any

import socketio
from starlette.applications import Starlette

from realtime.live.handlers import ACTIONS
from realtime.live.server import LiveServer
from realtime.media import status
from realtime.media.app import create_relay_app
from realtime.media.config import RelaySettings
from realtime.media.control import LocalRelayControl
from realtime.media.relay import Relay
from server.app import create_app
from server.app_services import services_of
from server.db import Database
from server.settings import Settings


def settle_garbage_collector() -> None:
    """Thousands of long-lived connections make full collections slow (measured: 0.7 s pauses at 600
    clients, in the middle of broadcasts). What start-up made lives as long as the process: freeze
    it out of every collection, and collect the young generation less often."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, 20, 20)


class LiveASGIApp(socketio.ASGIApp):
    """Starts and stops the live rooms' background work with the server, and leaves the rest of the
    lifespan (mail delivery, the database) to the Starlette app."""

    def __init__(
        self, live: LiveServer, other_asgi_app: Any, *, settle_gc: bool = True, relay: Relay | None = None
    ) -> None:
        super().__init__(live.sio, other_asgi_app=other_asgi_app)
        self.live = live
        self.settle_gc = settle_gc
        self.relay = relay

    async def lifespan(self, scope: Any, receive: Any, send: Any) -> None:
        async def receive_with_live() -> Any:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await self.live.start()
                if self.settle_gc:
                    settle_garbage_collector()
            elif message["type"] == "lifespan.shutdown":
                await self.live.stop()
                if self.relay is not None:
                    await self.relay.close()
            return message

        await super().lifespan(scope, receive_with_live, send)


def create_asgi(
    settings: Settings | None = None,
    database: Database | None = None,
    *,
    deliver_mail: bool = True,
    settle_gc: bool = True,
    embed_relay: bool = True,
) -> Any:
    """``socketio.ASGIApp(sio, other_asgi_app=create_app(settings))``, sharing one database, with the
    live server as the app's broadcaster so HTTP actions reach the live rooms. ``settle_gc`` tunes the
    garbage collector of the whole process: for the server's own process, not for one shared with tests."""
    settings = settings or Settings.from_env()
    database = database or Database(settings.database_url)
    app = create_app(settings, database, deliver_mail=deliver_mail)
    live = LiveServer(settings, database, actions=ACTIONS)
    services = services_of(app)
    services.broadcaster = live
    services.live = live
    relay = embed_media_relay(app, settings) if embed_relay else None
    return LiveASGIApp(live, other_asgi_app=app, settle_gc=settle_gc, relay=relay)


def embed_media_relay(app: Starlette, settings: Settings) -> Relay:
    """One process serves WHIP and WHEP itself (``make run``); in production nginx sends those paths to
    ``podium relay`` processes instead, and this relay stays idle. It shares the app's secret and database, so
    the publish tokens and viewer passes the pages hand out verify here as on any relay process."""
    relay_settings = RelaySettings.from_env(
        {
            **os.environ,
            "PODIUM_ENV": settings.env,
            "PODIUM_SECRET_KEY": settings.secret_key,
            "PODIUM_MEDIA_DIR": str(settings.media_dir),
            "PODIUM_HLS_DIR": str(settings.hls_dir),
            "PODIUM_RELAY_HLS": "1" if settings.hls else "0",
        }
    )
    services = services_of(app)
    relay_app = create_relay_app(relay_settings, database=services.database)
    media = relay_app.state.media
    app.state.media = media  # the relay's endpoints, mounted below, read their own context from the app
    services.stream_statuses = lambda: status.all_statuses(media.relay)
    if not settings.relay_url:  # a relay process answers the control calls when one is configured
        services.relay_control = LocalRelayControl(media.relay)
    app.router.routes[0:0] = relay_app.routes
    relay: Relay = media.relay
    return relay


def app_from_env() -> Any:
    """For ``uvicorn --factory realtime.live.asgi:app_from_env``."""
    return create_asgi(Settings.from_env())
