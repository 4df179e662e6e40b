"""Who may run an event's back office."""

from __future__ import annotations

from server.accounts.rules import is_instance_admin, is_organiser

can_read_audit_log = is_organiser.named("can_read_audit_log")
# Importing a schedule file into the event (its preview and "Apply"), and exporting the event file.
can_import_schedule = is_organiser.named("can_import_schedule")
# Importing a schedule as a new event: the importer becomes its organiser.
can_import_new_event = is_instance_admin.named("can_import_new_event")
# The event's API tokens for integrations: made, listed and revoked by its organisers.
can_manage_api_tokens = is_organiser.named("can_manage_api_tokens")
