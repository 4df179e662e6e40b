"""Who may do what, as named rules: predicates over an actor and the object at hand, composed with ``|`` and
``&`` like pretalx's ``rules.py``. Each domain declares its rules in ``server/<domain>/rules.py``; services,
pages, socket actions and templates ask them through ``require`` and ``allows``.

One refusal policy: a refused rule answers "not found", in one wording, as another event's object does, so
nothing hints that a page or an object exists. Only someone admitted to a live room, who already sees the room,
is told "forbidden" with the reason (realtime/live/PROTOCOL.md promises that code) — except by rules that hide
what they guard from everyone (another room's objects).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from server.errors import Forbidden, NotFound
from server.i18n import gettext as _

Test = Callable[[Any, Any], bool]
Message = Callable[[], str]


def not_found_message() -> str:
    """The one wording of "not found" for pages and the objects behind them."""
    return _("There is no page at this address.")


def forbidden_message() -> str:
    return _("You may not do this here.")


@dataclass(frozen=True, eq=False)
class Rule:
    """A permission. ``who`` says in words whom it allows (the README's table is made of these)."""

    who: str
    test: Test
    name: str = ""
    message: Message = forbidden_message  # why, for someone in a live room
    hides: bool = False  # refused as "not found" even in a live room
    not_found: Message = not_found_message
    parts: tuple[Rule, ...] = field(default=())

    def __call__(self, actor: Any, obj: Any = None) -> bool:
        return self.test(actor, obj)

    def __or__(self, other: Rule) -> Rule:
        return Rule(
            who=f"{self.who} or {other.who}",
            test=lambda actor, obj: self.test(actor, obj) or other.test(actor, obj),
            parts=(self, other),
        )

    def __and__(self, other: Rule) -> Rule:
        return Rule(
            who=f"{self.who}, if {other.who}",
            test=lambda actor, obj: self.test(actor, obj) and other.test(actor, obj),
            parts=(self, other),
        )

    def named(
        self,
        name: str,
        *,
        who: str = "",
        message: Message = forbidden_message,
        hides: bool = False,
        not_found: Message = not_found_message,
    ) -> Rule:
        """This rule under a name of its own, registered in ``RULES`` (the README's table lists them)."""
        rule = Rule(
            who=who or self.who,
            test=self.test,
            name=name,
            message=message,
            hides=hides,
            not_found=not_found,
            parts=(self,),
        )
        RULES[name] = rule
        return rule


RULES: dict[str, Rule] = {}


def predicate(who: str) -> Callable[[Test], Rule]:
    """A basic rule from a function of (actor, obj)."""

    def wrap(test: Test) -> Rule:
        return Rule(who=who, test=test)

    return wrap


def allows(actor: Any, rule: Rule, obj: Any = None) -> bool:
    return rule(actor, obj)


def require(actor: Any, rule: Rule, obj: Any = None) -> None:
    """Raises NotFound (or, in a live room, Forbidden with the reason) when ``actor`` may not."""
    if rule(actor, obj):
        return
    if getattr(actor, "in_room", False) and not rule.hides:
        raise Forbidden(rule.message())
    raise NotFound(rule.not_found())
