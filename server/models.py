"""Every table, imported in one place so the metadata (and Alembic) sees them all."""

from server.agenda.models import Person, Room, Session, SessionKind, SessionSpeaker, Track
from server.events.models import Event

__all__ = ["Event", "Person", "Room", "Session", "SessionKind", "SessionSpeaker", "Track"]
