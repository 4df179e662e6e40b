"""The one way services' changes reach live rooms. The realtime layer implements ``Broadcaster``;
HTTP actions (an organiser's announcement, a moderator's form) publish through it without importing
Socket.IO. Without the realtime layer (tests, command line) nothing is sent: the database still holds
every change, and clients catch up when they join."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class Message:
    """One event for one audience (see ``server.live.audiences``)."""

    to: str
    event: str
    data: dict[str, Any]


@dataclass(frozen=True)
class CountsChanged:
    """Busy counters of a room that changed; they go out coalesced, not once per click."""

    session_id: int
    questions: frozenset[int] = frozenset()
    polls: frozenset[int] = frozenset()


@dataclass
class Outcome:
    """What a live-room service did: the answer for the caller, and what everyone else must hear."""

    answer: dict[str, Any]
    messages: list[Message] = field(default_factory=list)
    counts: list[CountsChanged] = field(default_factory=list)


class Broadcaster(Protocol):
    async def publish(self, messages: Sequence[Message], counts: Sequence[CountsChanged] = ()) -> None: ...


class NullBroadcaster:
    async def publish(self, messages: Sequence[Message], counts: Sequence[CountsChanged] = ()) -> None:
        return None


async def publish(broadcaster: Broadcaster, outcome: Outcome) -> None:
    await broadcaster.publish(outcome.messages, outcome.counts)
