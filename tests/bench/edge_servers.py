"""The relays of the edge benchmark, each in its own process:

    python -m tests.bench.edge_servers origin PORT              # a relay that ingests the publisher
    python -m tests.bench.edge_servers edge PORT ORIGIN_URL     # an edge pulling from it (realtime/media/edge.py)

Both let anyone watch (tests/bench/relay_servers.py ``open_policy``) and offer only 127.0.0.1; the edge finds its
origin at ORIGIN_URL instead of in a database, and pulls with a relay pass signed with the benchmark's secret.
"""

from __future__ import annotations

import sys

import uvicorn
from starlette.applications import Starlette

from realtime.media.app import create_relay_app
from realtime.media.config import RelaySettings
from realtime.media.edge import Origin
from realtime.media.internals import restrict_host_addresses
from server.streams.tokens import PublishTokens
from tests.bench.relay_servers import SECRET, open_policy

SETTINGS = RelaySettings(
    secret_key=SECRET,
    host_addresses=("127.0.0.1",),
    max_viewers=5000,
    max_viewers_per_ip=5000,
    signalling_per_ip_per_minute=100_000,
    connect_timeout=60,
)


def edge_app(origin_url: str, name: str) -> Starlette:
    async def find(key: str) -> Origin:
        return Origin("origin", origin_url)

    settings = RelaySettings(**{**SETTINGS.__dict__, "edge": True, "relay_name": name, "edge_linger": 30.0})
    return create_relay_app(settings, policy=open_policy(PublishTokens(SECRET)), find_origin=find)


def main() -> None:
    mode, port = sys.argv[1], int(sys.argv[2])
    restrict_host_addresses(["127.0.0.1"])
    if mode == "origin":
        app = create_relay_app(SETTINGS, policy=open_policy(PublishTokens(SECRET)))
    else:
        app = edge_app(sys.argv[3], f"edge-{port}")
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
