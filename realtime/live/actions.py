"""What a request handler is: the decorator that keeps handlers thin (the server decodes the payload, checks
the connection joined the room, applies the flood limit, and passes one database session) and the part of the
live server handlers see. handlers.py lists the requests; the server is given that list."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlmodel.ext.asyncio.session import AsyncSession

from realtime.live.coalescer import Coalescer
from realtime.live.limits import Owner, Refusals
from realtime.live.payloads import Field, Kind, required
from realtime.live.presence import Presence
from realtime.live.sioserver import LiveSocketServer
from server.accounts.actors import Actor
from server.broadcast import Outcome
from server.db import Database
from server.i18n import Language
from server.live.access import Identity, Participant
from server.live.votes import Ballot, GroupCommit
from server.settings import Settings


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
    # Interpretation booths it joined (realtime/live/booths.py): (session id, language, or None for a moderator).
    booths: set[tuple[int, str | None]] = field(default_factory=set)

    @property
    def owner(self) -> Owner:
        """Whose flood limits its requests spend (limits.py)."""
        guest = self.identity.account is None
        return Owner(person=self.identity.key, guest_address=self.address if guest else None)


class LiveRooms(Protocol):
    """What handlers and the revocation watcher use of the live server (server.py implements it)."""

    settings: Settings
    database: Database
    sio: LiveSocketServer
    connections: dict[str, Connection]
    presence: Presence
    coalescer: Coalescer
    votes: GroupCommit[Ballot, Outcome]

    async def join(self, connection: Connection, session_id: int, since_seq: int | None) -> dict[str, Any]: ...

    async def leave(self, connection: Connection, session_id: int) -> None: ...

    async def follow_own_questions(self, connection: Connection, participant: Participant) -> None: ...


@dataclass
class Call:
    """What a handler gets: the payload, the participant in the named room, a database session."""

    live: LiveRooms
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


def room_action(
    name: str, *, limit: str | None = None, joined: bool = True, **fields: Field
) -> Callable[[Handler], Action]:
    """Makes a handler the request ``name`` taking ``session`` and ``fields``. Moderator and organiser checks
    belong to the services, which never trust the transport."""

    def define(handler: Handler) -> Action:
        return Action(
            name=name, handler=handler, fields={"session": required(Kind.int), **fields}, joined=joined, limit=limit
        )

    return define


def by_name(actions: Iterable[Action]) -> Mapping[str, Action]:
    """The requests a live server answers, by name; a name defined twice is a mistake caught at start-up."""
    table: dict[str, Action] = {}
    for action in actions:
        if action.name in table:
            raise ValueError(f"two handlers for the live request {action.name!r}")
        table[action.name] = action
    return table
