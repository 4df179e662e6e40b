"""A person's Socket.IO room (``audiences.person``) without a room entry per connection. When a message to
it is delivered, the manager asks this process's live server for its connections of that person in that
room: so a personal message (a mute notice, one's own question) reaches every connection of theirs, in
every process (each resolves its own on receiving the emit from Redis), and the many people who never get
one cost no memory. Over Redis, messages between processes go through ``redis_bus.RedisBus``."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

import socketio

from realtime.live.redis_bus import RedisBus
from server.live import audiences

# (session id, participant key) -> sids of this process's connections of that person in that room
Resolve = Callable[[int, str], Iterable[str]]


class PersonRooms(socketio.AsyncManager):
    """The in-process manager; ``SharedPersonRooms`` is the same over Redis."""

    resolve: Resolve | None = None

    def get_participants(self, namespace: str, room: Any) -> Iterator[tuple[str, str]]:
        members: dict[str, str] = dict(super().get_participants(namespace, room))
        person = audiences.parse_person(room) if isinstance(room, str) else None
        if person is not None and self.resolve is not None:
            for sid in self.resolve(*person):
                eio_sid = self.eio_sid_from_sid(sid, namespace)
                if eio_sid is not None:
                    members.setdefault(sid, eio_sid)
        yield from members.items()

    async def close(self) -> None:
        """Stops what the manager runs in the background (nothing, in one process)."""


class SharedPersonRooms(RedisBus, PersonRooms):  # RedisBus first: its close() is the one that works
    pass
