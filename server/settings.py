"""One typed settings object, read once from the ``PODIUM_*`` environment variables."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

DEVELOPMENT_SECRET = "podium-development-secret-do-not-use-in-production"  # noqa: S105 (refused in production)
DEFAULT_BASE_URL = "http://127.0.0.1:8000"
DEFAULT_MAX_UPLOAD_BYTES = 4 * 1024**3  # nginx's client_max_body_size in deploy/nginx/podium.conf
DEFAULT_LIVE_GUESTS_PER_ADDRESS = 500  # a hall of guests behind one NAT
DEFAULT_RELAY_HEARTBEAT = 2.0  # seconds between a relay's heartbeats (server/relays)
DEFAULT_RELAY_DEAD_AFTER = 6.0  # seconds without one before a relay counts as dead


ANYONE = "anyone"


@dataclass(frozen=True)
class EventCreators:
    """Who may create events, besides instance admins: ``PODIUM_EVENT_CREATORS``, ``anyone`` signed in or a list
    of addresses (none by default)."""

    anyone: bool = False
    emails: frozenset[str] = frozenset()

    def include(self, email: str) -> bool:
        return self.anyone or email.strip().lower() in self.emails

    @classmethod
    def parse(cls, raw: str) -> EventCreators:
        """Raises ValueError naming a value that is not an address."""
        raw = raw.strip()
        if raw.lower() == ANYONE:
            return cls(anyone=True)
        emails = [part.strip().lower() for part in raw.split(",") if part.strip()]
        for email in emails:
            local, at, domain = email.partition("@")
            if not (local and at and domain) or any(char.isspace() for char in email):
                raise ValueError(email)
        return cls(emails=frozenset(emails))


class SettingsError(ValueError):
    """The environment describes a configuration Podium refuses to run with: every problem, one a line."""

    def __init__(self, problems: str | list[str]) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))


def redis_url_from(environ: Mapping[str, str]) -> str | None:
    """``PODIUM_REDIS_URL``, shared by the app and relay processes; None when unset."""
    redis_url = environ.get("PODIUM_REDIS_URL", "").strip() or None
    if redis_url is not None and not redis_url.startswith(("redis://", "rediss://", "unix://")):
        raise SettingsError(
            f"PODIUM_REDIS_URL must be a redis:// URL such as redis://127.0.0.1:6379/0, not {redis_url!r}"
        )
    return redis_url


def normalise_database_url(url: str) -> str:
    """Map the URLs operators write to the async drivers Podium uses."""
    if url.startswith("sqlite:///"):
        return "sqlite+aiosqlite:///" + url.removeprefix("sqlite:///")
    for prefix in ("postgres://", "postgresql://", "postgresql+psycopg2://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url.removeprefix(prefix)
    return url


def media_dir_from(environ: Mapping[str, str]) -> Path:
    """Where uploaded recordings live: ``PODIUM_MEDIA_DIR``, else a ``media`` folder next to the SQLite database
    (or in the working directory). App and relay processes must see the same folder (deploy/README.md)."""
    configured = environ.get("PODIUM_MEDIA_DIR", "").strip()
    if configured:
        return Path(configured)
    url = environ.get("PODIUM_DATABASE_URL", "")
    for prefix in ("sqlite:///", "sqlite+aiosqlite:///"):
        if url.startswith(prefix) and url.removeprefix(prefix):
            return Path(url.removeprefix(prefix)).parent / "media"
    return Path.cwd() / "media"


class Environment:
    """The ``PODIUM_*`` variables, read by one rule each for the app's settings and the relay's alike. A value
    with a problem falls back to its default and the problem is kept, so one start-up names every problem."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self.values = dict(os.environ if environ is None else environ)
        self.problems: list[str] = []

    def get(self, name: str, default: str = "") -> str:
        return self.values.get(name, "") or default

    def env(self) -> str:
        env = self.values.get("PODIUM_ENV", "development").strip().lower()
        if env not in {"development", "production", "test"}:
            self.problems.append(f"PODIUM_ENV must be development, production or test, not {env!r}")
            return "development"
        return env

    def secret_key(self, *, env: str) -> str:
        secret_key = self.get("PODIUM_SECRET_KEY") or DEVELOPMENT_SECRET
        if env == "production" and secret_key == DEVELOPMENT_SECRET:
            self.problems.append("PODIUM_SECRET_KEY must be set to a secret of your own when PODIUM_ENV=production")
        elif env == "production" and len(secret_key) < 32:
            self.problems.append("PODIUM_SECRET_KEY must be at least 32 characters long in production")
        return secret_key

    def database_url(self) -> str:
        """The async driver's URL; empty when it names another database."""
        database_url = normalise_database_url(
            self.get("PODIUM_DATABASE_URL") or f"sqlite:///{Path.cwd() / 'podium.db'}"
        )
        if not database_url.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            self.problems.append("PODIUM_DATABASE_URL must be an sqlite:/// or postgresql:// URL")
            return ""
        return database_url

    def redis_url(self) -> str | None:
        try:
            return redis_url_from(self.values)
        except SettingsError as problem:
            self.problems.append(str(problem))
            return None

    def media_dir(self) -> Path:
        return media_dir_from(self.values)

    def relay_timing(self) -> tuple[float, float]:
        """``PODIUM_RELAY_HEARTBEAT`` (seconds between a relay's heartbeats, default 2) and
        ``PODIUM_RELAY_DEAD_AFTER`` (seconds of silence after which a relay is dead, default 6): the relays write
        at the one pace, and the app and the edges judge them by the other."""
        heartbeat = self.number("PODIUM_RELAY_HEARTBEAT", DEFAULT_RELAY_HEARTBEAT)
        if not 0.1 <= heartbeat <= 60:
            self.problems.append(f"PODIUM_RELAY_HEARTBEAT must be from 0.1 to 60 seconds, not {heartbeat:g}")
            heartbeat = DEFAULT_RELAY_HEARTBEAT
        dead_after = self.number("PODIUM_RELAY_DEAD_AFTER", max(DEFAULT_RELAY_DEAD_AFTER, 3 * heartbeat))
        if not heartbeat < dead_after <= 600:
            self.problems.append(
                f"PODIUM_RELAY_DEAD_AFTER must be longer than PODIUM_RELAY_HEARTBEAT ({heartbeat:g} s) and at most "
                f"600 seconds, not {dead_after:g}"
            )
            dead_after = max(DEFAULT_RELAY_DEAD_AFTER, 3 * heartbeat)
        return heartbeat, dead_after

    def relay_url(self, name: str, *, path_allowed: bool = False) -> str:
        """An http(s) address of a relay without its trailing slash (or, with ``path_allowed``, a path of the site
        such as ``/relay/edge1``); empty when unset."""
        raw = self.get(name).strip().rstrip("/")
        parts = urlsplit(raw)
        absolute = parts.scheme in {"http", "https"} and bool(parts.netloc)
        if raw and not absolute and not (path_allowed and raw.startswith("/") and not raw.startswith("//")):
            example = "https://example.org/relay/edge1 or /relay/edge1" if path_allowed else "http://10.0.0.5:8100"
            self.problems.append(f"{name} must be an http(s) address such as {example}, not {raw!r}")
            return ""
        if raw and (parts.query or parts.fragment or not raw.isprintable()):
            self.problems.append(f"{name} must be an address without a query or fragment, not {raw!r}")
            return ""
        return raw

    def switch(self, name: str) -> bool:
        """A setting that is on unless set to 0, false, no or off (PODIUM_RELAY_RECORD, _HLS, _RESTREAM)."""
        return self.get(name, "1").strip().lower() not in ("0", "false", "no", "off")

    def hls(self) -> bool:
        """``PODIUM_RELAY_HLS``: whether relays write an HLS rendition of each live session (default: yes)."""
        return self.switch("PODIUM_RELAY_HLS")

    def hls_dir(self) -> Path:
        """``PODIUM_HLS_DIR``: where relays write HLS and the app (or nginx) serves it; default ``<media>/hls``."""
        configured = self.get("PODIUM_HLS_DIR").strip()
        return Path(configured) if configured else self.media_dir() / "hls"

    def number(self, name: str, default: float) -> float:
        raw = self.values.get(name, "").strip()
        try:
            return float(raw) if raw else default
        except ValueError:
            self.problems.append(f"{name} must be a number, not {raw!r}")
            return default


@dataclass(frozen=True)
class Settings:
    env: str
    database_url: str
    redis_url: str | None
    secret_key: str
    base_url: str
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = True
    mail_from: str = "Podium <podium@localhost>"
    log_format: str = "text"  # "json" for structured logs (the default in production)
    media_dir: Path = Path("media")  # uploaded recordings, named by Recording.stored_name
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES
    relay_url: str = ""  # a relay process's internal address for status, stop and play; empty: the embedded relay
    # Each relay process's own address, asked which streams have media (server/phases); empty: ``relay_url`` alone.
    relay_live_urls: tuple[str, ...] = ()
    # A registered relay (server/relays) silent this long is dead: no viewer pass sends anyone there.
    relay_dead_after: float = DEFAULT_RELAY_DEAD_AFTER
    metrics_token: str = ""  # a bearer token that reads /metrics from anywhere; empty: loopback clients only
    # Live-room guests behind one address (a venue's NAT): at most this many connections, and their share of limits.
    live_guests_per_address: int = DEFAULT_LIVE_GUESTS_PER_ADDRESS
    event_creators: EventCreators = EventCreators()
    # nginx's internal location for the replays folder ("/internal/replays/"): the app answers a replay request
    # with X-Accel-Redirect there and nginx sends the file with ranges; empty: the app sends the file itself.
    accel_redirect: str = ""
    hls: bool = True  # the relay writes HLS for live sessions; the viewer pass names its playlist (PODIUM_RELAY_HLS)
    hls_dir: Path = Path("media/hls")  # PODIUM_HLS_DIR, served under /hls/

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """The settings, or a SettingsError naming every problem at once (so one restart fixes them all)."""
        settings, problems = cls.examine(environ)
        if problems:
            raise SettingsError(problems)
        return settings

    @classmethod
    def examine(cls, environ: Mapping[str, str] | None = None) -> tuple[Settings, list[str]]:
        """The settings the environment describes and every problem with them. A value with a problem falls back
        to its default, except the database URL, which becomes empty: ``podium check`` goes on checking the rest."""
        read = Environment(environ)
        environ, problems = read.values, read.problems
        env = read.env()
        database_url = read.database_url()
        secret_key = read.secret_key(env=env)
        base_url = (environ.get("PODIUM_BASE_URL", "") or DEFAULT_BASE_URL).rstrip("/")
        parts = urlsplit(base_url)
        if parts.scheme not in {"http", "https"} or not parts.netloc:
            problems.append(
                f"PODIUM_BASE_URL must be an http(s) URL such as https://podium.example.org, not {base_url!r}"
            )
            base_url = DEFAULT_BASE_URL
        redis_url = read.redis_url()
        try:
            smtp_port = int(environ.get("PODIUM_SMTP_PORT", "") or 587)
        except ValueError:
            problems.append("PODIUM_SMTP_PORT must be a port number such as 587")
            smtp_port = 587
        log_format = environ.get("PODIUM_LOG_FORMAT", "").strip().lower() or ("json" if env == "production" else "text")
        if log_format not in {"json", "text"}:
            problems.append(f"PODIUM_LOG_FORMAT must be json or text, not {log_format!r}")
            log_format = "text"
        try:
            max_upload_bytes = int(environ.get("PODIUM_MEDIA_MAX_UPLOAD_BYTES", "") or DEFAULT_MAX_UPLOAD_BYTES)
            if max_upload_bytes <= 0:
                raise ValueError
        except ValueError:
            problems.append("PODIUM_MEDIA_MAX_UPLOAD_BYTES must be a positive number of bytes such as 4294967296")
            max_upload_bytes = DEFAULT_MAX_UPLOAD_BYTES
        try:
            live_guests_per_address = int(
                environ.get("PODIUM_LIVE_GUESTS_PER_ADDRESS", "") or DEFAULT_LIVE_GUESTS_PER_ADDRESS
            )
            if not 1 <= live_guests_per_address <= 1_000_000:
                raise ValueError
        except ValueError:
            problems.append("PODIUM_LIVE_GUESTS_PER_ADDRESS must be a whole number from 1 to 1000000, such as 500")
            live_guests_per_address = DEFAULT_LIVE_GUESTS_PER_ADDRESS
        relay_url = environ.get("PODIUM_RELAY_URL", "").strip().rstrip("/")
        relay_parts = urlsplit(relay_url)
        if relay_url and (relay_parts.scheme not in {"http", "https"} or not relay_parts.netloc):
            problems.append(f"PODIUM_RELAY_URL must be an http(s) URL such as http://127.0.0.1:8100, not {relay_url!r}")
            relay_url = ""
        relay_live_urls = tuple(
            url.strip().rstrip("/") for url in environ.get("PODIUM_RELAY_LIVE_URLS", "").split(",") if url.strip()
        )
        for url in relay_live_urls:
            parts = urlsplit(url)
            if parts.scheme not in {"http", "https"} or not parts.netloc:
                problems.append(
                    f"PODIUM_RELAY_LIVE_URLS must be http(s) URLs separated by commas, such as "
                    f"http://127.0.0.1:8101,http://127.0.0.1:8102, not {url!r}"
                )
                relay_live_urls = ()
                break
        _heartbeat, relay_dead_after = read.relay_timing()
        try:
            event_creators = EventCreators.parse(environ.get("PODIUM_EVENT_CREATORS", ""))
        except ValueError as bad:
            problems.append(
                f"PODIUM_EVENT_CREATORS must be anyone or email addresses separated by commas, not {str(bad)!r}"
            )
            event_creators = EventCreators()
        accel_redirect = environ.get("PODIUM_ACCEL_REDIRECT", "").strip()
        if accel_redirect and not (
            accel_redirect.startswith("/") and accel_redirect.endswith("/") and accel_redirect.isprintable()
        ):
            problems.append(f"PODIUM_ACCEL_REDIRECT must be a path such as /internal/replays/, not {accel_redirect!r}")
            accel_redirect = ""
        settings = cls(
            env=env,
            database_url=database_url,
            redis_url=redis_url,
            secret_key=secret_key,
            base_url=base_url,
            smtp_host=environ.get("PODIUM_SMTP_HOST", "").strip(),
            smtp_port=smtp_port,
            smtp_user=environ.get("PODIUM_SMTP_USER", ""),
            smtp_password=environ.get("PODIUM_SMTP_PASSWORD", ""),
            smtp_starttls=environ.get("PODIUM_SMTP_STARTTLS", "true").lower() not in {"0", "false", "no"},
            mail_from=environ.get("PODIUM_MAIL_FROM", "") or f"Podium <podium@{urlsplit(base_url).hostname}>",
            log_format=log_format,
            media_dir=read.media_dir(),
            max_upload_bytes=max_upload_bytes,
            relay_url=relay_url,
            relay_live_urls=relay_live_urls,
            relay_dead_after=relay_dead_after,
            metrics_token=environ.get("PODIUM_METRICS_TOKEN", "").strip(),
            live_guests_per_address=live_guests_per_address,
            event_creators=event_creators,
            accel_redirect=accel_redirect,
            hls=read.hls(),
            hls_dir=read.hls_dir(),
        )
        return settings, problems
