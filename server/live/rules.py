"""Who may do what in a live room. Someone admitted to the room who may not is told why (``forbidden``);
another room's objects are "not found" to everyone (realtime/live/PROTOCOL.md)."""

from __future__ import annotations

from typing import Any

from server.accounts.actors import Actor
from server.accounts.models import Role
from server.accounts.rules import has_role, is_delegate, is_moderator, is_organiser, is_speaker
from server.i18n import gettext as _
from server.live.models import ParticipantListAccess
from server.permissions import Rule, predicate
from server.registration.rules import can_see_participants

# The console, the room screen and its codes, and every moderator request in the room (review, mute, polls).
can_moderate = (is_moderator | is_organiser).named(
    "can_moderate", message=lambda: _("Only the room's moderators may do this.")
)
can_announce = is_organiser.named(
    "can_announce", message=lambda: _("Only the event's organisers may make announcements.")
)
# Enter every room of the event without a registration or a pick of the session (PROTOCOL.md: join); a captioner
# types the captions of any session (server/captions).
enters_every_room = (is_speaker | is_moderator | is_organiser | has_role(Role.captioner)).named("enters_every_room")
can_change_live_settings = is_organiser.named("can_change_live_settings")
# Who sees the event's participant list, by its live setting (``ParticipantListAccess``); the widest is
# ``can_see_participants``.
participant_list_if_staff_only = (is_moderator | is_organiser).named("participant_list_if_staff_only")
participant_list_if_delegates = (is_delegate | is_moderator | is_organiser).named("participant_list_if_delegates")
PARTICIPANT_LIST: dict[str, Rule] = {
    ParticipantListAccess.staff: participant_list_if_staff_only,
    ParticipantListAccess.delegates: participant_list_if_delegates,
    ParticipantListAccess.listed: can_see_participants,
}


@predicate("someone admitted to this session's room")
def _in_room(actor: Actor, session_id: Any) -> bool:
    return getattr(actor, "session_id", None) == session_id


# A participant admitted to one room cannot act in another through it.
in_room = _in_room.named("in_room", hides=True, not_found=lambda: _("There is no such session."))
