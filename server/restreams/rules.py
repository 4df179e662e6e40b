"""Who may see and change a session's restream targets."""

from __future__ import annotations

from server.accounts.rules import is_organiser

# Add, edit, turn off and delete the RTMP(S) targets a session's stream is pushed to; their keys are the event's
# accounts on other platforms, so only organisers handle them (the console shows moderators their state).
can_manage_restreams = is_organiser.named("can_manage_restreams")
