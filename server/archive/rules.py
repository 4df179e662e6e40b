"""Who sees what a session leaves behind: its answered questions and published poll results (server/archive)."""

from __future__ import annotations

from typing import Any

from server.accounts.rules import is_delegate, is_event_staff
from server.permissions import predicate


@predicate("anyone, once the organisers publish the session's archive")
def _archive_published(_actor: Any, archive: Any) -> bool:
    """``archive``: the session's ``SessionArchive`` (or its defaults)."""
    return bool(getattr(archive, "archive_published", False))


# After the end: the event's delegates and staff, and everyone once the organisers publish it. Moderators see the
# whole archive (every question and poll, whatever its state) by the live rooms' ``can_moderate``.
can_see_session_archive = (is_delegate | is_event_staff | _archive_published).named("can_see_session_archive")
