"""Names of the groups a live-room change is sent to. The realtime layer uses them as Socket.IO rooms."""

from __future__ import annotations


def moderators(session_id: int) -> str:
    return f"moderators:{session_id}"


def audience(session_id: int) -> str:
    """Everyone in the room who is not a moderator."""
    return f"audience:{session_id}"


def room(session_id: int, *, moderating: bool) -> str:
    """The room's group a participant receives its broadcasts in: what moderators see differs."""
    return moderators(session_id) if moderating else audience(session_id)


def person(session_id: int, key: str) -> str:
    """Every connection of one participant in one room."""
    return f"person:{session_id}:{key}"


def parse_person(name: str) -> tuple[int, str] | None:
    """The session id and participant key of a ``person`` group's name; None for any other name."""
    kind, _, rest = name.partition(":")
    session, _, key = rest.partition(":")
    if kind != "person" or not session.isdigit() or not key:
        return None
    return int(session), key


def event(event_id: int) -> str:
    """Every connection that joined a room of the event."""
    return f"event:{event_id}"
