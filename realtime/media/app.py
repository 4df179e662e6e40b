"""``podium relay``: the media relay as its own ASGI application, or mounted inside the main one."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import logging
import sys
from collections.abc import AsyncIterator, Sequence

from starlette.applications import Starlette
from starlette.routing import BaseRoute, Mount

from realtime.media import status, whep, whip
from realtime.media.config import RelaySettings, addressed, public_path
from realtime.media.edge import EdgeRelay, OriginFinder, stored_origins
from realtime.media.heartbeat import LEAVE_WITHIN, Heartbeat
from realtime.media.policy import RelayPolicy, signed_policy
from realtime.media.recorder import StoredRecordSwitch
from realtime.media.relay import Relay
from realtime.media.restream import Restreams, rendition_source
from realtime.media.signalling import MediaContext
from realtime.media.stored_tokens import StoredPublishTokens
from server.db import Database
from server.settings import SettingsError


def create_relay_app(
    settings: RelaySettings,
    *,
    policy: RelayPolicy | None = None,
    database: Database | None = None,
    find_origin: OriginFinder | None = None,
) -> Starlette:
    """WHIP at ``/whip/{session}``, WHEP at ``/whep/{session}``, status under ``/relay/``.

    ``policy`` decides who publishes and who watches; by default signed tokens derived from the secret key, whose
    generation (rotation) is read from ``database``, or from ``settings.database_url`` (then this app's own).
    An edge relay (``settings.edge``) finds each stream's origin with ``find_origin``, by default in the relay
    registry of that database. The relay is ``app.state.media.relay``; a host app that mounts this one closes it on
    shutdown.
    """
    wants_database = policy is None or settings.record or settings.relay_name or (settings.edge and not find_origin)
    owned = Database(settings.database_url) if database is None and wants_database and settings.database_url else None
    database = database or owned
    relay: Relay
    if settings.edge:
        if find_origin is None:
            if database is None:
                raise SettingsError("an edge relay finds origins in the relay registry: set PODIUM_DATABASE_URL")
            find_origin = stored_origins(database, settings)
        relay = EdgeRelay(settings, name=settings.relay_name or "edge", find_origin=find_origin)
    else:
        relay = Relay(settings, record_switch=StoredRecordSwitch(database) if database is not None else None)
    if database is not None and settings.restream and not settings.edge:  # an edge forwards what its origin pushes
        relay.restreams = Restreams(relay, database, secret=settings.secret_key, source=rendition_source(relay))
    if policy is None and database is not None:
        policy = signed_policy(settings.secret_key, StoredPublishTokens(settings.secret_key, database))

    # A named relay with a database registers itself (server/relays), for the viewer passes and the edges.
    beating = Heartbeat(relay, database, settings) if database is not None and settings.relay_name else None

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        if beating is not None:
            beating.start()
        try:
            yield
        finally:
            if beating is not None:
                await beating.stop()
            await relay.close()
            await app.state.media.limiter.buckets.close()
            if owned is not None:
                # Closing connections to a database that does not answer waits for ever: the process ends anyway.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(LEAVE_WITHIN):
                        await owned.dispose()

    routes: list[BaseRoute] = [*whip.routes, *whep.routes, *status.routes]
    if public_path(settings):  # WHEP at the relay's public path too: nginx may pass /relay/edge1/... on unstripped
        routes.append(Mount(public_path(settings), routes=list(whep.routes)))
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.media = MediaContext(relay=relay, policy=policy or signed_policy(settings.secret_key), settings=settings)
    app.state.heartbeat = beating
    return app


def serve(*, host: str, port: int, edge: bool = False) -> None:
    """What ``podium relay`` runs: settings from the environment, one uvicorn process; ``edge``: ``--edge``."""
    import uvicorn  # noqa: PLC0415 -- only the relay command serves; tests build the app alone

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = addressed(RelaySettings.from_env(), host=host, port=port)
    if edge:
        settings = dataclasses.replace(settings, edge=True, record=False)
    app = create_relay_app(settings)
    if edge:
        print(f"Podium edge relay {settings.relay_name} is serving WHEP on http://{host}:{port}/", flush=True)
    else:
        print(f"Podium relay is serving WHIP and WHEP on http://{host}:{port}/", flush=True)
    uvicorn.run(app, host=host, port=port, log_level="info", proxy_headers=True)


EDGE_HELP = "an edge: pull each session its viewers ask for from the relay that ingests it (found in the database)"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="podium relay", description="Run a Podium media relay (WHIP and WHEP).")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    parser.add_argument("--port", type=int, default=8100, help="port to listen on (default: %(default)s)")
    parser.add_argument("--edge", action="store_true", help=EDGE_HELP)
    args = parser.parse_args(argv)
    try:
        serve(host=args.host, port=args.port, edge=args.edge)
    except SettingsError as exc:
        print(f"podium relay: error: {exc}", file=sys.stderr)
        return 1
    return 0
