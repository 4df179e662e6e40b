"""Which sessions are exhibitions: those whose kind behaves as the built-in exhibition kind."""

from __future__ import annotations

from server.agenda.models import Session, SessionKind
from server.agenda.services import SessionView
from server.errors import NotFound
from server.i18n import gettext as _


def exhibition_session(view: SessionView) -> Session:
    """The session of an exhibition page; any other kind of session has none."""
    if view.behaviour != SessionKind.exhibition:
        raise NotFound(_("There is no such exhibition in this event."))
    return view.session
