"""Recording organiser actions (server/events/audit_log.py reads them back).

Every service that changes an event on an organiser's behalf calls ``record`` before it commits: the entry and the
change land in one transaction. ``changes`` keeps only the fields that differ, so an entry says what changed.
"""

from __future__ import annotations

import datetime as dt
import enum
import logging
import uuid
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from sqlmodel.ext.asyncio.session import AsyncSession

from server.audit.models import AuditEntry

if TYPE_CHECKING:  # the audit log sits below the domains, which all record into it
    from server.accounts.actors import Actor
    from server.events.models import Event

logger = logging.getLogger("podium.audit")


def plain(value: Any) -> Any:
    """A value as JSON keeps it: dates as ISO text, enums and UUIDs as text, nested lists and mappings alike."""
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, Mapping):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [plain(item) for item in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)  # anything else as its text, so an entry never fails the change it records


def snapshot(obj: Any, fields: Sequence[str]) -> dict[str, Any]:
    """The named fields of a row (or any object) as plain values, to pass as ``before`` or ``after``."""
    return {name: plain(getattr(obj, name)) for name in fields}


def changes(
    before: Mapping[str, Any] | None, after: Mapping[str, Any] | None
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """Only the keys whose values differ (all of them when one side is missing: a creation or a deletion)."""
    if before is None or after is None:
        return (plain(before) if before is not None else None, plain(after) if after is not None else None)
    keys = [key for key in {**before, **after} if plain(before.get(key)) != plain(after.get(key))]
    return ({key: plain(before.get(key)) for key in keys}, {key: plain(after.get(key)) for key in keys})


def record(
    db: AsyncSession,
    *,
    actor: Actor,
    event: Event | None,
    action: str,
    target_type: str = "",
    target_id: Any = "",
    target_label: str = "",
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    actor_label: str = "",
) -> AuditEntry:
    """Adds the entry to ``db`` (the caller commits it with the change) and writes it to the structured log.
    ``actor_label`` describes an actor that is not a person signed in (an integration's API token, by name)."""
    old, new = changes(before, after)
    account = actor.account
    entry = AuditEntry(
        event_id=event.id if event is not None else None,
        account_id=account.id if account is not None else None,
        actor_email=(actor_label or (account.email if account is not None else ""))[:254],
        action=action,
        target_type=target_type,
        target_id=str(target_id)[:64],
        target_label=target_label[:300],
        before=old,
        after=new,
    )
    db.add(entry)
    logger.info(
        "audit: %s",
        action,
        extra={
            "audit_event": event.slug if event is not None else None,
            "audit_actor": entry.actor_email,
            "audit_target": f"{target_type}:{entry.target_id}",
            "audit_before": old,
            "audit_after": new,
        },
    )
    return entry


def apply_audited(
    db: AsyncSession,
    row: Any,
    values: Mapping[str, Any],
    *,
    fields: Sequence[str],
    actor: Actor,
    event: Event | None,
    action: str,
    target_type: str,
    target_id: Any,
    target_label: str,
) -> bool:
    """Sets ``values`` on a versioned row; when that changed any of ``fields``, bumps the row's ``version``
    and records the change. Whether anything changed."""
    before = snapshot(row, fields)
    for name, value in values.items():
        setattr(row, name, value)
    after = snapshot(row, fields)
    if before == after:
        return False
    row.version += 1
    db.add(row)
    record(
        db,
        actor=actor,
        event=event,
        action=action,
        target_type=target_type,
        target_id=target_id,
        target_label=target_label,
        before=before,
        after=after,
    )
    return True
