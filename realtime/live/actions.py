"""The registry of requests and the decorator that keeps their handlers thin: it decodes the payload,
checks the connection joined the room, applies the flood limit, and passes one database session."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlmodel.ext.asyncio.session import AsyncSession

from realtime.live.limits import Owner, Refusals
from realtime.live.payloads import Field, Kind, required
from server.accounts.actors import Actor
from server.broadcast import Outcome
from server.i18n import Language
from server.live.access import Identity, Participant

if TYPE_CHECKING:
    from realtime.live.server import LiveServer


@dataclass(slots=True)
class Connection:
    """One Socket.IO connection: who it is, where from, the rooms it joined and its refused requests."""

    sid: str
    identity: Identity
    language: Language
    session_hash: str = ""  # of the session cookie it signed in with: re-checked when its account loses something
    address: str = ""  # the client's IP address
    refusals: Refusals = field(default_factory=Refusals)
    rooms: dict[int, Participant] = field(default_factory=dict)
    # Rooms where it receives its own questions; most never ask, and the empty frozenset is shared.
    following: frozenset[int] = frozenset()
    joined_before: bool = False  # it has asked to join a room (and may have written there since)

    @property
    def owner(self) -> Owner:
        """Whose flood limits its requests spend (limits.py)."""
        guest = self.identity.account is None
        return Owner(person=self.identity.key, guest_address=self.address if guest else None)


@dataclass
class Call:
    """What a handler gets: the payload, the participant in the named room, a database session."""

    live: LiveServer
    connection: Connection
    db: AsyncSession
    payload: dict[str, Any]
    participant: Participant | None

    @property
    def actor(self) -> Participant:
        assert self.participant is not None
        return self.participant

    @property
    def session_id(self) -> int:
        return int(self.payload["session"])

    async def event_actor(self) -> Actor:
        """The participant is the actor event-wide services ask for: a refusal in the room says why."""
        return self.actor


Handler = Callable[[Call], Awaitable[Outcome]]


@dataclass(frozen=True)
class Action:
    name: str
    handler: Handler
    fields: dict[str, Field]
    joined: bool  # the payload's session must be a room this connection joined
    limit: str | None


ACTIONS: dict[str, Action] = {}


def room_action(
    name: str, *, limit: str | None = None, joined: bool = True, **fields: Field
) -> Callable[[Handler], Handler]:
    """Registers a handler for request ``name`` taking ``session`` and ``fields``. Moderator and
    organiser checks belong to the services, which never trust the transport."""

    def register(handler: Handler) -> Handler:
        ACTIONS[name] = Action(
            name=name,
            handler=handler,
            fields={"session": required(Kind.int), **fields},
            joined=joined,
            limit=limit,
        )
        return handler

    return register
