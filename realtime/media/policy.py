"""Who may publish and who may watch: pluggable callables, so the app can back them with the database.

A session's floor ("12") is published with the session's publish token; an interpretation channel ("12_ja") only
with an interpreter pass for that very channel, which names the interpreter. Viewers of either hold a viewer pass
for the stream they watch. The app checks the event offers the language before it hands out passes; the relay
trusts what is signed.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol

from server.streams.tokens import (
    PublishTokens,
    PublishVerifier,
    is_relay_pass,
    read_interpreter_pass,
    read_relay_pass,
    read_viewer_pass,
)

SESSION_KEY = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


@dataclass(frozen=True)
class ViewerRequest:
    session_key: str
    token: str | None
    client_ip: str


@dataclass(frozen=True)
class Admission:
    """``authenticated`` False answers 401 (who are you?); ``allowed`` False with it True answers 403.

    ``relay`` names the edge relay a relay pass admitted: it pulls the stream for its own viewers, so it is one
    viewer here, outside the per-account and per-address limits."""

    allowed: bool
    account: str | None = None
    authenticated: bool = True
    relay: str | None = None


ViewerAdmitter = Callable[[ViewerRequest], Awaitable[Admission]]
SessionLookup = Callable[[str], Awaitable[bool]]
InterpreterAdmitter = Callable[[str, str], Awaitable[str | None]]  # (channel key, token) -> the interpreter's account


async def any_session(session_key: str) -> bool:
    return SESSION_KEY.fullmatch(session_key) is not None


async def no_interpreters(channel_key: str, token: str) -> str | None:
    return None


@dataclass(frozen=True)
class RelayPolicy:
    verify_publish: PublishVerifier
    admit_viewer: ViewerAdmitter
    session_exists: SessionLookup = field(default=any_session)
    admit_interpreter: InterpreterAdmitter = field(default=no_interpreters)


class PublishTokenSource(Protocol):
    """In-memory generations (``PublishTokens``) or the database's (``StoredPublishTokens``)."""

    async def verify(self, session_key: str, token: str) -> bool: ...


def signed_policy(secret: str, tokens: PublishTokenSource | None = None) -> RelayPolicy:
    """Publish with HMAC tokens (their generation from ``tokens``), watch with signed viewer passes, which need no
    database; an edge relay pulls any stream with a relay pass (``server.streams.tokens.relay_pass``)."""
    publish_tokens = tokens or PublishTokens(secret)

    async def admit(request: ViewerRequest) -> Admission:
        if not request.token:
            return Admission(allowed=False, authenticated=False)
        if is_relay_pass(request.token):
            edge = read_relay_pass(secret, request.token)
            if edge is None:
                return Admission(allowed=False, authenticated=False)
            return Admission(allowed=True, relay=edge)
        account = read_viewer_pass(secret, request.session_key, request.token)
        if account is None:
            return Admission(allowed=False, authenticated=False)
        return Admission(allowed=True, account=account)

    async def admit_interpreter(channel_key: str, token: str) -> str | None:
        return read_interpreter_pass(secret, channel_key, token)

    return RelayPolicy(verify_publish=publish_tokens.verify, admit_viewer=admit, admit_interpreter=admit_interpreter)
