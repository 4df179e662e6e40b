"""The relay's settings, read once from ``PODIUM_*`` environment variables (``podium relay`` and the app alike)."""

from __future__ import annotations

import json
import socket
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlsplit

from server.settings import DEFAULT_RELAY_DEAD_AFTER, DEFAULT_RELAY_HEARTBEAT, Environment, SettingsError


@dataclass(frozen=True)
class IceServer:
    urls: tuple[str, ...]
    username: str | None = None
    credential: str | None = None


@dataclass(frozen=True)
class RelaySettings:
    secret_key: str
    env: str = "development"
    # The app's database, where publish-token generations are stored; empty: tokens are never rotated (tests).
    database_url: str = ""
    # The relay's own ICE servers; empty by default so an offline machine never waits on a public STUN server.
    ice_servers: tuple[IceServer, ...] = ()
    # Addresses to offer as host candidates, e.g. ("127.0.0.1",) for loopback-only tests; empty means every interface.
    host_addresses: tuple[str, ...] = ()
    # TURN servers handed to clients, with time-limited credentials derived from ``turn_secret`` (coturn REST API).
    turn_urls: tuple[str, ...] = ()
    turn_secret: str = ""
    turn_ttl: int = 6 * 3600
    video_bitrate: int = 500_000  # aiortc's own VP8 default; viewers cost per packet, so bits cost CPU
    keyframe_interval: float = 4.0
    keyframe_min_interval: float = 0.4  # between keyframes asked for joining viewers and lost pictures
    keyframe_recovery_interval: float = 2.0  # between those asked for viewers that skipped while the relay was busy
    viewer_queue_frames: int = 45  # 1.5 s: only an overloaded relay lets a viewer's queue grow
    max_viewers: int = 1000
    max_viewers_per_account: int = 3
    max_viewers_per_ip: int = 50
    signalling_per_ip_per_minute: int = 120
    redis_url: str | None = None  # the signalling limit holds over every relay process sharing this Redis
    connect_timeout: float = 20.0
    publisher_stale_after: float = 5.0
    # Consent checks (RFC 7675): a peer that leaves this many in a row unanswered is gone, about 7 s after it went.
    consent_interval: float = 1.0
    consent_failures: int = 5
    max_sdp_bytes: int = 64 * 1024
    cors_origins: tuple[str, ...] = ()
    media_dir: Path = Path("media")  # recordings to play, shared with the app processes (PODIUM_MEDIA_DIR)
    # Write every stream into ``media_dir``/recordings (realtime/media/recorder.py); ``podium relay`` and the app's
    # embedded relay do unless PODIUM_RELAY_RECORD=0, a relay built in code only when asked.
    record: bool = False
    # The relay registry (server/relays, realtime/media/heartbeat.py). Without a name the relay writes no heartbeat
    # (the app's embedded relay, relays built in tests); ``podium relay`` names itself host:port by default.
    relay_name: str = ""
    edge: bool = False  # ``podium relay --edge``: pulls the keys its viewers ask for from their origin
    # Where browsers reach this relay (the viewer pass's WHEP address); empty: the site's own /whep/ (nginx).
    public_url: str = ""
    internal_url: str = ""  # where other processes reach it; ``podium relay`` defaults to http://host:port
    heartbeat_interval: float = DEFAULT_RELAY_HEARTBEAT
    dead_after: float = DEFAULT_RELAY_DEAD_AFTER
    # An edge (realtime/media/edge.py) stops pulling a stream this many seconds after its last viewer there left.
    edge_linger: float = 5.0
    # An HLS rendition of every live session in ``hls_dir`` (realtime/media/hls.py); on in ``podium relay`` and the
    # embedded relay unless PODIUM_RELAY_HLS=0, off in a relay built in code unless asked.
    hls: bool = False
    hls_dir: Path | None = None  # PODIUM_HLS_DIR; None: ``media_dir``/hls
    # Push live sessions to their restream targets (realtime/media/restream.py) when the relay has the database;
    # PODIUM_RELAY_RESTREAM=0 turns it off (an edge relay, which only forwards what its origin pushes already).
    restream: bool = True

    @property
    def hls_folder(self) -> Path:
        return self.hls_dir if self.hls_dir is not None else self.media_dir / "hls"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> RelaySettings:
        """The relay's settings, or a SettingsError naming every problem; the variables it shares with the app
        (``server.settings.Environment``) mean the same here."""
        read = Environment(environ)
        env = read.env()

        def words(name: str) -> tuple[str, ...]:
            return tuple(word for word in read.get(name).replace(",", " ").split() if word)

        def count(name: str, default: int) -> int:
            return int(read.number(name, default))

        try:
            ice_servers = parse_ice_servers(read.get("PODIUM_RELAY_ICE_SERVERS"))
        except SettingsError as problem:
            read.problems.extend(problem.problems)
            ice_servers = ()
        heartbeat_interval, dead_after = read.relay_timing()
        settings = cls(
            secret_key=read.secret_key(env=env),
            env=env,
            database_url=read.database_url(),
            ice_servers=ice_servers,
            host_addresses=words("PODIUM_RELAY_HOST_ADDRESSES"),
            turn_urls=words("PODIUM_RELAY_TURN_URLS"),
            turn_secret=read.get("PODIUM_RELAY_TURN_SECRET"),
            video_bitrate=count("PODIUM_RELAY_VIDEO_BITRATE", cls.video_bitrate),
            max_viewers=count("PODIUM_RELAY_MAX_VIEWERS", cls.max_viewers),
            max_viewers_per_account=count("PODIUM_RELAY_MAX_VIEWERS_PER_ACCOUNT", cls.max_viewers_per_account),
            max_viewers_per_ip=count("PODIUM_RELAY_MAX_VIEWERS_PER_IP", cls.max_viewers_per_ip),
            signalling_per_ip_per_minute=count(
                "PODIUM_RELAY_SIGNALLING_PER_IP_PER_MINUTE", cls.signalling_per_ip_per_minute
            ),
            cors_origins=words("PODIUM_RELAY_CORS_ORIGINS"),
            redis_url=read.redis_url(),
            media_dir=read.media_dir(),
            record=read.switch("PODIUM_RELAY_RECORD"),
            relay_name=read.get("PODIUM_RELAY_NAME").strip()[:100],
            public_url=read.relay_url("PODIUM_RELAY_PUBLIC_URL", path_allowed=True),
            internal_url=read.relay_url("PODIUM_RELAY_INTERNAL_URL"),
            heartbeat_interval=heartbeat_interval,
            dead_after=dead_after,
            edge_linger=read.number("PODIUM_RELAY_EDGE_LINGER", cls.edge_linger),
            hls=read.hls(),
            hls_dir=read.hls_dir(),
            restream=read.switch("PODIUM_RELAY_RESTREAM"),
        )
        if read.problems:
            raise SettingsError(read.problems)
        return settings


def public_path(settings: RelaySettings) -> str:
    """The path part of the relay's public address (``/relay/edge1``; empty for the site's own ``/whep/``): WHEP is
    served under it too, and the resource addresses it answers start with it, so a browser that reached the relay
    through nginx's ``/relay/edge1/`` deletes its viewing session there, stripped or not on the way."""
    return urlsplit(settings.public_url).path.rstrip("/")


def addressed(settings: RelaySettings, *, host: str, port: int) -> RelaySettings:
    """The settings of a relay serving on ``host``:``port``: named ``host:port`` and reached at
    ``http://host:port`` unless PODIUM_RELAY_NAME and PODIUM_RELAY_INTERNAL_URL say otherwise (listening on every
    interface, the machine's host name stands for the host)."""
    if host in ("", "0.0.0.0", "::"):  # noqa: S104 (compared, not bound)
        host = socket.gethostname()
    shown = f"[{host}]" if ":" in host else host
    return replace(
        settings,
        relay_name=settings.relay_name or f"{shown}:{port}",
        internal_url=settings.internal_url or f"http://{shown}:{port}",
    )


def parse_ice_servers(raw: str) -> tuple[IceServer, ...]:
    """A JSON list like the browser's ``iceServers``, or plain space-separated ``stun:``/``turn:`` URLs."""
    raw = raw.strip()
    if not raw:
        return ()
    if not raw.startswith("["):
        return tuple(IceServer(urls=(url,)) for url in raw.replace(",", " ").split())
    try:
        entries = json.loads(raw)
        servers = []
        for entry in entries:
            urls = entry["urls"]
            servers.append(
                IceServer(
                    urls=(urls,) if isinstance(urls, str) else tuple(urls),
                    username=entry.get("username"),
                    credential=entry.get("credential"),
                )
            )
        return tuple(servers)
    except (ValueError, KeyError, TypeError, AttributeError):
        raise SettingsError("PODIUM_RELAY_ICE_SERVERS must be a JSON list of {urls, username, credential}") from None
