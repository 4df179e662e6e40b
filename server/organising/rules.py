"""Who may run an event's back office."""

from __future__ import annotations

from server.accounts.rules import is_organiser

can_read_audit_log = is_organiser.named("can_read_audit_log")

can_edit_programme = is_organiser.named("can_edit_programme")
can_release_programme = is_organiser.named("can_release_programme")
