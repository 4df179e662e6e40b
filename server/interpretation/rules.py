"""Who may do what with interpretation: organisers plan the channels, interpreters speak in their languages'
booths, the session's moderators (and organisers) set the floor's language and watch every booth.

Organisers do not open a console by being organisers: like the interpretation platforms booths use, the person on
air is someone granted the interpreter role for that language (an organiser may grant it to themselves)."""

from __future__ import annotations

from typing import Any

from server.accounts.actors import Actor
from server.accounts.models import Role
from server.accounts.rules import is_moderator, is_organiser
from server.i18n import gettext as _
from server.permissions import predicate

# Which channels run in a room (every session held there) and in one session.
can_plan_channels = is_organiser.named("can_plan_channels")


@predicate("an interpreter of that language in the event")
def _interprets(actor: Actor, language: Any) -> bool:
    account = actor.account
    return account is not None and not account.disabled and actor.serves(Role.interpreter, str(language))


# Open a booth's console, take its pass to publish, go on air, hand over, chat in the booth.
can_interpret = _interprets.named(
    "can_interpret", message=lambda: _("Only this language's interpreters may work in its booth.")
)
# The floor's language, every booth's state and chat, and taking an interpreter off air.
can_set_floor_language = (is_moderator | is_organiser).named(
    "can_set_floor_language", message=lambda: _("Only the session's moderators may do this.")
)
