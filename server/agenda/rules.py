"""Who may change the agenda's links to accounts, and who speaks in a session."""

from __future__ import annotations

from typing import Any

from server.accounts.actors import Actor
from server.accounts.models import Role
from server.accounts.rules import is_organiser
from server.permissions import predicate

can_link_speakers = is_organiser.named("can_link_speakers")


@predicate("speaker of the session (linked to the account by an organiser)")
def speaks_in(actor: Actor, view: Any) -> bool:
    """The speaker role in the event, and an agenda speaker of the session (``view``, a ``SessionView``) linked
    to the account. Names prove nothing: two people may share one."""
    if actor.account is None or actor.account.id is None or not actor.has(Role.speaker):
        return False
    return any(person.account_id == actor.account.id for person in view.speakers)
