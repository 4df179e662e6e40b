"""Every table, imported in one place so the metadata (and Alembic) sees them all."""

from server.accounts.models import Account, AuthSession, EventRole, Revocation, RoleLanguage, SessionRole, SignInLink
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
from server.archive.models import SessionArchive
from server.audit.models import AuditEntry
from server.captions.models import CaptionLine, CaptionTrack
from server.events.models import Event, EventBanner, EventLogo
from server.exhibitions.models import Exhibition, ExhibitionGuide, ExhibitionImage, ExhibitionVisit
from server.interpretation.models import Booth, BoothMessage, ChannelPlan, FloorLanguage
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
    ViewerSample,
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
from server.relays.models import RelayNode
from server.reminders.models import PushKey, PushSubscription, Reminder
from server.replays.models import Replay
from server.restreams.models import RestreamTarget
from server.streams.models import Recording, StreamKey

__all__ = [
    "Account",
    "ApiToken",
    "AuditEntry",
    "Announcement",
    "AuthSession",
    "CaptionLine",
    "CaptionTrack",
    "Booth",
    "BoothMessage",
    "ChannelPlan",
    "FloorLanguage",
    "ChatMessage",
    "Event",
    "EventBanner",
    "EventLogo",
    "Exhibition",
    "ExhibitionGuide",
    "ExhibitionImage",
    "ExhibitionVisit",
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
    "PushKey",
    "PushSubscription",
    "Question",
    "QuestionVote",
    "Recording",
    "RelayNode",
    "Reminder",
    "RestreamTarget",
    "Replay",
    "Revocation",
    "Registration",
    "RegistrationAnswer",
    "RegistrationQuestion",
    "RegistrationSettings",
    "Room",
    "RoomLog",
    "Session",
    "SessionArchive",
    "SessionChoice",
    "SessionKind",
    "SessionMaterial",
    "SessionDraft",
    "SessionLiveSettings",
    "ViewerSample",
    "SessionRole",
    "SessionSpeaker",
    "RoleLanguage",
    "SignInLink",
    "StaffInvitation",
    "StreamKey",
    "Track",
]
