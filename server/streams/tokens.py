"""Bearer tokens for the relay: per-session publish tokens and short-lived viewer passes, both HMAC-signed."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

PublishVerifier = Callable[[str, str], Awaitable[bool]]

_PUBLISH_PREFIX = "pub"
_VIEWER_PREFIX = "view"
_INTERPRETER_PREFIX = "interp"
_RELAY_PREFIX = "relay"
_ALL_STREAMS = "*"  # a relay pass is good for every stream key of the deployment, not one


def _mac(secret: str, *parts: str) -> str:
    message = "\x1f".join(parts).encode("utf-8")
    digest = hmac.new(secret.encode("utf-8"), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:24]).decode("ascii").rstrip("=")


def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode("utf-8")).decode("ascii").rstrip("=")


def _unb64(text: str) -> str:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode("utf-8")


def publish_token(secret: str, session_key: str, generation: int) -> str:
    """The bearer token an encoder publishes ``session_key`` with; rotating means raising ``generation``."""
    return f"{generation}.{_mac(secret, _PUBLISH_PREFIX, session_key, str(generation))}"


def check_publish_token(secret: str, session_key: str, token: str, generation: int) -> bool:
    return hmac.compare_digest(token.encode("utf-8"), publish_token(secret, session_key, generation).encode("utf-8"))


@dataclass
class PublishTokens:
    """Publish tokens derived from a secret, one generation per session; a stand-in for the database-backed ones."""

    secret: str
    generations: dict[str, int] = field(default_factory=dict)

    def token(self, session_key: str) -> str:
        return publish_token(self.secret, session_key, self.generations.get(session_key, 0))

    def rotate(self, session_key: str) -> str:
        self.generations[session_key] = self.generations.get(session_key, 0) + 1
        return self.token(session_key)

    async def verify(self, session_key: str, token: str) -> bool:
        return check_publish_token(self.secret, session_key, token, self.generations.get(session_key, 0))


def _signed_pass(prefix: str, secret: str, stream_key: str, account: str, expires_at: int) -> str:
    encoded = _b64(account)
    return f"{prefix}.{encoded}.{expires_at}.{_mac(secret, prefix, stream_key, encoded, str(expires_at))}"


def _read_signed_pass(prefix: str, secret: str, stream_key: str, token: str, now: float | None) -> str | None:
    parts = token.split(".")
    if len(parts) != 4 or parts[0] != prefix or not parts[2].isdigit():
        return None
    _, encoded, expires, signature = parts
    expected = _mac(secret, prefix, stream_key, encoded, expires)
    if not hmac.compare_digest(signature.encode("utf-8"), expected.encode("utf-8")):
        return None
    if int(expires) < (time.time() if now is None else now):
        return None
    try:
        return _unb64(encoded)
    except (ValueError, UnicodeDecodeError):
        return None


def viewer_pass(secret: str, session_key: str, account: str, *, expires_at: int) -> str:
    """A pass the app hands a signed-in viewer so a relay process can admit them without the database."""
    return _signed_pass(_VIEWER_PREFIX, secret, session_key, account, expires_at)


def read_viewer_pass(secret: str, session_key: str, token: str, *, now: float | None = None) -> str | None:
    """The account a valid, unexpired pass for ``session_key`` names, else None."""
    return _read_signed_pass(_VIEWER_PREFIX, secret, session_key, token, now)


def interpreter_pass(secret: str, channel_key: str, account: str, *, expires_at: int) -> str:
    """A pass to publish into one interpretation channel (server/streams/channels.py), naming the interpreter, so
    the relay tells the booth's two interpreters apart and forwards only the one on air."""
    return _signed_pass(_INTERPRETER_PREFIX, secret, channel_key, account, expires_at)


def read_interpreter_pass(secret: str, channel_key: str, token: str, *, now: float | None = None) -> str | None:
    """The interpreter a valid, unexpired pass for ``channel_key`` names, else None."""
    return _read_signed_pass(_INTERPRETER_PREFIX, secret, channel_key, token, now)


def relay_pass(secret: str, name: str, expires_at: int) -> str:
    """What an edge relay named ``name`` pulls any stream from its origin with (realtime/media/edge.py): signed with
    the deployment's secret key like a viewer pass, admitted without the per-account and per-address limits."""
    return _signed_pass(_RELAY_PREFIX, secret, _ALL_STREAMS, name, expires_at)


def read_relay_pass(secret: str, token: str, *, now: float | None = None) -> str | None:
    """The edge relay a valid, unexpired relay pass names, else None."""
    return _read_signed_pass(_RELAY_PREFIX, secret, _ALL_STREAMS, token, now)


def is_relay_pass(token: str) -> bool:
    """Whether ``token`` has the shape of a relay pass (it may still be forged or expired)."""
    return token.startswith(_RELAY_PREFIX + ".")


def control_token(secret: str) -> str:
    """The bearer token the app uses to read a relay process's status and stop its streams."""
    return _mac(secret, "relay-control")
