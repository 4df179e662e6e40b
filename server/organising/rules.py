"""Who may run an event's back office."""

from __future__ import annotations

from server.accounts.rules import is_organiser

can_read_audit_log = is_organiser.named("can_read_audit_log")
# Invite and remove organisers, moderators, check-in staff and speakers; see who holds which role.
can_manage_staff = is_organiser.named("can_manage_staff")
