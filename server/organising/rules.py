"""Who may run an event's back office, and who may create events."""

from __future__ import annotations

from typing import Any

from server.accounts.actors import Actor
from server.accounts.rules import is_instance_admin, is_organiser
from server.permissions import predicate

can_read_audit_log = is_organiser.named("can_read_audit_log")


@predicate("an account PODIUM_EVENT_CREATORS names (or anyone signed in, when it says anyone)")
def _listed_creator(actor: Actor, creators: Any) -> bool:
    """``creators`` is the instance's ``EventCreators`` (server/settings.py)."""
    account = actor.account
    return account is not None and not account.disabled and creators is not None and creators.include(account.email)


# Asked about the instance's EventCreators setting, not about an event.
can_create_events = (is_instance_admin | _listed_creator).named("can_create_events")
# The event's own fields (name, dates, logo, ...), publishing it or taking it back to a draft.
can_edit_event = is_organiser.named("can_edit_event")
can_publish_event = is_organiser.named("can_publish_event")
# Next year's edition: the programme's structure without its people's registrations.
can_clone_event = is_organiser.named("can_clone_event")
# Importing a schedule file into the event (its preview and "Apply"), and exporting the event file.
can_import_schedule = is_organiser.named("can_import_schedule")
# Importing a schedule as a new event: the importer becomes its organiser.
can_import_new_event = is_instance_admin.named("can_import_new_event")
# The event's API tokens for integrations: made, listed and revoked by its organisers.
can_manage_api_tokens = is_organiser.named("can_manage_api_tokens")
can_edit_programme = is_organiser.named("can_edit_programme")
can_release_programme = is_organiser.named("can_release_programme")
# Writing to the event's people, and reading what was sent to whom.
can_message_participants = is_organiser.named("can_message_participants")
# Invite and remove organisers, moderators, check-in staff and speakers; see who holds which role.
can_manage_staff = is_organiser.named("can_manage_staff")


@predicate("anyone who helps run an event (any role in it but a delegate's)")
def _helps_run_an_event(actor: Actor, staff_events: Any) -> bool:
    """``staff_events`` is what ``server.organising.events.staff_events`` found for the actor's account."""
    account = actor.account
    return account is not None and not account.disabled and bool(staff_events)


# The living style guide (/styleguide): the people who build and run events' pages.
can_open_style_guide = (is_instance_admin | _helps_run_an_event).named("can_open_style_guide")
# The media relays the installation runs (origins and edges), their load and what is wrong with them: an event's
# organisers watch them while their sessions stream.
can_see_relays = is_organiser.named("can_see_relays")
