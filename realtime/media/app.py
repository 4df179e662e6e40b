"""``podium relay``: the media relay as its own ASGI application, or mounted inside the main one."""

from __future__ import annotations

import argparse
import contextlib
import logging
import sys
from collections.abc import AsyncIterator, Sequence

from starlette.applications import Starlette

from realtime.media import status, whep, whip
from realtime.media.config import RelaySettings
from realtime.media.policy import RelayPolicy, signed_policy
from realtime.media.recorder import StoredRecordSwitch
from realtime.media.relay import Relay
from realtime.media.restream import Restreams, rendition_source
from realtime.media.signalling import MediaContext
from realtime.media.stored_tokens import StoredPublishTokens
from server.db import Database
from server.settings import SettingsError


def create_relay_app(
    settings: RelaySettings, *, policy: RelayPolicy | None = None, database: Database | None = None
) -> Starlette:
    """WHIP at ``/whip/{session}``, WHEP at ``/whep/{session}``, status under ``/relay/``.

    ``policy`` decides who publishes and who watches; by default signed tokens derived from the secret key, whose
    generation (rotation) is read from ``database``, or from ``settings.database_url`` (then this app's own).
    The relay is ``app.state.media.relay``; a host app that mounts this one closes it on shutdown.
    """
    owned = (
        Database(settings.database_url)
        if database is None and (policy is None or settings.record) and settings.database_url
        else None
    )
    database = database or owned
    relay = Relay(settings, record_switch=StoredRecordSwitch(database) if database is not None else None)
    if database is not None and settings.restream:
        relay.restreams = Restreams(relay, database, secret=settings.secret_key, source=rendition_source(relay))
    if policy is None and database is not None:
        policy = signed_policy(settings.secret_key, StoredPublishTokens(settings.secret_key, database))

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await relay.close()
            await app.state.media.limiter.buckets.close()
            if owned is not None:
                await owned.dispose()

    app = Starlette(routes=[*whip.routes, *whep.routes, *status.routes], lifespan=lifespan)
    app.state.media = MediaContext(relay=relay, policy=policy or signed_policy(settings.secret_key), settings=settings)
    return app


def serve(*, host: str, port: int) -> None:
    """What ``podium relay`` runs: settings from the environment, one uvicorn process."""
    import uvicorn  # noqa: PLC0415 -- only the relay command serves; tests build the app alone

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = create_relay_app(RelaySettings.from_env())
    print(f"Podium relay is serving WHIP and WHEP on http://{host}:{port}/", flush=True)
    uvicorn.run(app, host=host, port=port, log_level="info", proxy_headers=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="podium relay", description="Run a Podium media relay (WHIP and WHEP).")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    parser.add_argument("--port", type=int, default=8100, help="port to listen on (default: %(default)s)")
    args = parser.parse_args(argv)
    try:
        serve(host=args.host, port=args.port)
    except SettingsError as exc:
        print(f"podium relay: error: {exc}", file=sys.stderr)
        return 1
    return 0
