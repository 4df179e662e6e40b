"""Who may run an event's back office."""

from __future__ import annotations

from server.accounts.rules import is_organiser

can_read_audit_log = is_organiser.named("can_read_audit_log")
# Writing to the event's people, and reading what was sent to whom.
can_message_participants = is_organiser.named("can_message_participants")
