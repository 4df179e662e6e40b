"""Who may change the agenda's links to accounts, and who speaks in a session."""

from __future__ import annotations

from typing import Any

from server.accounts.actors import Actor
from server.accounts.models import Role
from server.accounts.rules import is_delegate, is_moderator, is_organiser, is_speaker
from server.permissions import predicate

can_link_speakers = is_organiser.named("can_link_speakers")


@predicate("speaker of the session (linked to the account by an organiser)")
def speaks_in(actor: Actor, view: Any) -> bool:
    """The speaker role in the event, and an agenda speaker of the session (``view``, a ``SessionView``) linked
    to the account. Names prove nothing: two people may share one."""
    if actor.account is None or actor.account.id is None or not actor.has(Role.speaker):
        return False
    return any(person.account_id == actor.account.id for person in view.speakers)


# The programme's building blocks: rooms, tracks, kinds of session, people and sessions' materials.
can_edit_programme_parts = is_organiser.named("can_edit_programme_parts")
# A material marked for delegates: the event's delegates and its staff.
can_read_delegate_materials = (is_delegate | is_speaker | is_moderator | is_organiser).named(
    "can_read_delegate_materials"
)
