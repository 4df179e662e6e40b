"""Who may ask for reminders."""

from __future__ import annotations

from server.accounts.rules import is_delegate

# A reminder is for a session the delegate picked: a confirmed registration makes the delegate.
can_set_reminders = is_delegate.named("can_set_reminders")
