"""Who may see and change an event's registrations."""

from __future__ import annotations

from server.accounts.rules import is_check_in_staff, is_delegate, is_moderator, is_organiser, is_speaker

# The dashboard, the registrations list and its CSV, the event's team, the check-in desk.
can_manage_registrations = is_organiser.named("can_manage_registrations")
can_check_in = (is_organiser | is_check_in_staff).named("can_check_in")
# The participant list shows only those who consented to appear in it.
can_see_participants = (is_delegate | is_speaker | is_moderator | is_organiser).named("can_see_participants")
# Ends the person's roles and registration in this event (never their account: that is an instance admin's).
can_remove_people = is_organiser.named("can_remove_people")
# The registration section: window, limits, the form's fields and questions, approval, the confirmation mail.
can_change_registration_settings = is_organiser.named("can_change_registration_settings")
# Approve or reject the registrations that wait for approval.
can_approve_registrations = is_organiser.named("can_approve_registrations")
