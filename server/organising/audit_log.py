"""An event's audit log, read back by its organisers with filters (written by ``server.audit.services.record``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.accounts.actors import Actor
from server.audit.models import AuditEntry
from server.events.models import Event
from server.organising.rules import can_read_audit_log
from server.permissions import require

PAGE_SIZE = 100


@dataclass(frozen=True, slots=True)
class AuditFilter:
    action: str = ""  # a prefix: "session" finds "session.update" and "session.move"
    actor_email: str = ""
    target_type: str = ""
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    before_id: int | None = None  # the next page: entries older than this one


async def audit_entries(
    db: AsyncSession, *, actor: Actor, event: Event, filters: AuditFilter = AuditFilter()
) -> list[AuditEntry]:
    """The event's entries, newest first, one page at a time."""
    require(actor, can_read_audit_log, event)
    query = select(AuditEntry).where(AuditEntry.event_id == event.id)
    if filters.action:
        query = query.where(col(AuditEntry.action).startswith(filters.action, autoescape=True))
    if filters.actor_email:
        query = query.where(AuditEntry.actor_email == filters.actor_email.strip().lower())
    if filters.target_type:
        query = query.where(AuditEntry.target_type == filters.target_type)
    if filters.since is not None:
        query = query.where(AuditEntry.created_at >= filters.since)
    if filters.until is not None:
        query = query.where(AuditEntry.created_at < filters.until)
    if filters.before_id is not None:
        query = query.where(col(AuditEntry.id) < filters.before_id)
    query = query.order_by(col(AuditEntry.id).desc()).limit(PAGE_SIZE)
    return list((await db.exec(query)).all())


async def audit_choices(db: AsyncSession, *, actor: Actor, event: Event) -> tuple[list[str], list[str], list[str]]:
    """The actions, people and kinds of object the event's log holds: the filter's choices."""
    require(actor, can_read_audit_log, event)
    actions = (await db.exec(select(AuditEntry.action).where(AuditEntry.event_id == event.id).distinct())).all()
    people = (await db.exec(select(AuditEntry.actor_email).where(AuditEntry.event_id == event.id).distinct())).all()
    kinds = (await db.exec(select(AuditEntry.target_type).where(AuditEntry.event_id == event.id).distinct())).all()
    return sorted(actions), sorted(person for person in people if person), sorted(kind for kind in kinds if kind)
