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
# Account-wide actions on any account, whatever the event; an event's organiser cannot take them.
can_disable_accounts = is_instance_admin.named("can_disable_accounts")
