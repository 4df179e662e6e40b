"""Every table, imported in one place so the metadata (and Alembic) sees them all."""

from server.accounts.models import Account, AuthSession, EventRole, Revocation, SessionRole, SignInLink
from server.agenda.models import (
    EventSessionKind,
    Person,
    Room,
    Session,
    SessionKind,
    SessionMaterial,
    SessionSpeaker,
    Track,
)
from server.audit.models import AuditEntry
from server.events.models import Event, EventLogo
from server.live.models import (
    Announcement,
    ChatMessage,
    HallCode,
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
from server.mail.models import Message, MessageRecipient, MessageVersion, OutboxMail
from server.organising.models import ApiToken, PendingImport, ProgrammeRelease, SessionDraft, StaffInvitation
from server.registration.models import (
    Registration,
    RegistrationAnswer,
    RegistrationQuestion,
    RegistrationSettings,
    SessionChoice,
)
from server.streams.models import Recording, StreamKey

__all__ = [
    "Account",
    "ApiToken",
    "AuditEntry",
    "Announcement",
    "AuthSession",
    "ChatMessage",
    "Event",
    "EventLogo",
    "EventSessionKind",
    "EventRole",
    "HallCode",
    "LiveRoom",
    "LiveSettings",
    "Message",
    "MessageRecipient",
    "MessageVersion",
    "Mute",
    "OutboxMail",
    "PendingImport",
    "Person",
    "Poll",
    "ProgrammeRelease",
    "PollOption",
    "PollVote",
    "Question",
    "QuestionVote",
    "Recording",
    "Revocation",
    "Registration",
    "RegistrationAnswer",
    "RegistrationQuestion",
    "RegistrationSettings",
    "Room",
    "RoomLog",
    "Session",
    "SessionChoice",
    "SessionKind",
    "SessionMaterial",
    "SessionDraft",
    "SessionLiveSettings",
    "SessionRole",
    "SessionSpeaker",
    "SignInLink",
    "StaffInvitation",
    "StreamKey",
    "Track",
]
