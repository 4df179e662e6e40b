"""Who may publish, see and control a session's stream and its recording."""

from __future__ import annotations

from server.accounts.rules import is_moderator, is_organiser
from server.agenda.rules import speaks_in

# The studio: publish from the browser with the session's token. ``obj`` is the session's ``SessionView``.
can_publish = (is_moderator | is_organiser | speaks_in).named("can_publish")
# The console's stream panel: live or not, viewers, the WHIP address and the publish token.
can_see_stream = (is_moderator | is_organiser).named("can_see_stream")
can_rotate_token = (is_moderator | is_organiser).named("can_rotate_token")
can_stop_stream = is_organiser.named("can_stop_stream")
# Upload, replace, delete and schedule the session's pre-recorded video.
can_upload_recording = is_organiser.named("can_upload_recording")
can_play_recording = (is_moderator | is_organiser).named("can_play_recording")
