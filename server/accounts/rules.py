"""The roles as rules, which every domain's rules compose; and the instance admin's."""

from __future__ import annotations

from typing import Any

from server.accounts.actors import Actor
from server.accounts.models import Role
from server.permissions import Rule, predicate


def has_role(role: Role) -> Rule:
    return Rule(who=role.value, test=lambda actor, _obj: role in actor.roles)


is_delegate = has_role(Role.delegate)
is_speaker = has_role(Role.speaker)
is_moderator = has_role(Role.moderator)
is_organiser = has_role(Role.organiser).named("is_organiser")
is_check_in_staff = Rule(who="check-in staff", test=lambda actor, _obj: Role.checkin in actor.roles)


@predicate("instance admin")
def _instance_admin(actor: Actor, _obj: Any) -> bool:
    account = actor.account
    return account is not None and account.admin and not account.disabled


is_instance_admin = _instance_admin.named("is_instance_admin")


@predicate("the event's staff (organiser, moderator, speaker, check-in staff)")
def is_event_staff(actor: Actor, _obj: Any) -> bool:
    """Any role in the event but a delegate's: the people who prepare it."""
    return any(role != Role.delegate for role in actor.roles)


@predicate("anyone, once the event is published")
def _published(_actor: Actor, event: Any) -> bool:
    return bool(event.published)


# A draft event is "not found" to everyone else, on every page, export, feed, API document and live room of it;
# transport asks this once where it loads the event (server/transport/context.py::event_of).
can_see_event = (_published | is_event_staff | is_instance_admin).named("can_see_event", hides=True)
# Account-wide actions on any account, whatever the event; an event's organiser cannot take them.
can_disable_accounts = is_instance_admin.named("can_disable_accounts")
