"""Who may send live captions. The object asked about is the caption language."""

from __future__ import annotations

from typing import Any

from server.accounts.actors import Actor
from server.accounts.models import Role
from server.accounts.rules import is_organiser
from server.i18n import gettext as _
from server.permissions import predicate


@predicate("a captioner of that language")
def _serves_language(actor: Actor, language: Any) -> bool:
    return isinstance(language, str) and actor.serves(Role.captioner, language)


@predicate("a captioner of any language")
def _captioner(actor: Actor, _language: Any) -> bool:
    return bool(actor.languages_of(Role.captioner))


# An organiser may stand in for a missing captioner, in any of the event's languages (the service checks the event
# offers the language). A moderator runs the room, not its captions.
can_caption = (_serves_language | is_organiser).named(
    "can_caption", message=lambda: _("Only the event's captioners of this language may send its captions.")
)
# The captioner page: whoever may caption in at least one language.
can_open_captioner = (_captioner | is_organiser).named("can_open_captioner")
