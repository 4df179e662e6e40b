"""Every table, imported in one place so the metadata (and Alembic) sees them all."""

from server.accounts.models import Account, AuthSession, EventRole, SignInLink
from server.agenda.models import Person, Room, Session, SessionKind, SessionSpeaker, Track
from server.events.models import Event
from server.mail.models import OutboxMail
from server.registration.models import Registration, SessionChoice

__all__ = [
    "Account",
    "AuthSession",
    "Event",
    "EventRole",
    "OutboxMail",
    "Person",
    "Registration",
    "Room",
    "Session",
    "SessionChoice",
    "SessionKind",
    "SessionSpeaker",
    "SignInLink",
    "Track",
]
