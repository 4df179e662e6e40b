"""Every domain's rules in one index: what templates ask by name, and the README's "Who may do what" table,
which ``tests/test_rules_table.py`` renders from the rules and finds in the README."""

from __future__ import annotations

from typing import Any

from server.accounts import rules as accounts
from server.agenda import rules as agenda
from server.archive import rules as archive
from server.captions import rules as captions
from server.exhibitions import rules as exhibitions
from server.interpretation import rules as interpretation
from server.live import rules as live
from server.organising import rules as organising
from server.permissions import RULES, Rule
from server.registration import rules as registration
from server.reminders import rules as reminders
from server.replays import rules as replays
from server.restreams import rules as restreams
from server.streams import rules as streams

DOMAINS = {
    "accounts": accounts,
    "agenda": agenda,
    "registration": registration,
    "live": live,
    "captions": captions,
    "streams": streams,
    "organising": organising,
    "interpretation": interpretation,
    "archive": archive,
    "reminders": reminders,
    "exhibitions": exhibitions,
    "replays": replays,
    "restreams": restreams,
}


def rule_named(name: str) -> Rule:
    return RULES[name]


def can(actor: Any, name: str, obj: Any = None) -> bool:
    """For templates: ``{% if can(actor, "can_stop_stream") %}``."""
    return actor is not None and RULES[name](actor, obj)


def who_may_table() -> str:
    """The README's table, one row per named rule, grouped by the file that declares it."""
    rows = ["| Rule | Who | Declared in |", "| --- | --- | --- |"]
    listed: set[str] = set()
    for domain, module in DOMAINS.items():  # a domain's rules after those it imports
        for name, value in vars(module).items():
            if isinstance(value, Rule) and value.name == name and name not in listed:
                listed.add(name)
                rows.append(f"| `{name}` | {value.who} | `server/{domain}/rules.py` |")
    return "\n".join(rows) + "\n"
