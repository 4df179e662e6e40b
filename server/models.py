"""Every table, imported in one place so the metadata (and Alembic) sees them all."""

from server.accounts.models import Account, AuthSession, EventRole, Revocation, SessionRole, SignInLink
from server.agenda.models import Person, Room, Session, SessionKind, SessionSpeaker, Track
from server.audit.models import AuditEntry
from server.events.models import Event
from server.live.models import (
    Announcement,
    ChatMessage,
    LiveRoom,
    LiveSettings,
    Mute,
    Poll,
    PollOption,
    PollVote,
    Question,
    QuestionVote,
    RoomLog,
    SessionLiveSettings,
)
from server.mail.models import OutboxMail
from server.organising.models import StaffInvitation
from server.registration.models import Registration, SessionChoice
from server.streams.models import Recording, StreamKey

__all__ = [
    "Account",
    "AuditEntry",
    "Announcement",
    "AuthSession",
    "ChatMessage",
    "Event",
    "EventRole",
    "LiveRoom",
    "LiveSettings",
    "Mute",
    "OutboxMail",
    "Person",
    "Poll",
    "PollOption",
    "PollVote",
    "Question",
    "QuestionVote",
    "Recording",
    "Revocation",
    "Registration",
    "Room",
    "RoomLog",
    "Session",
    "SessionChoice",
    "SessionKind",
    "SessionLiveSettings",
    "SessionRole",
    "SessionSpeaker",
    "SignInLink",
    "StaffInvitation",
    "StreamKey",
    "Track",
]
