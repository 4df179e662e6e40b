"""The relays as an event's organisers see them (the back office's Relays page): every relay the registry knows
(server/relays), alive or silent, with its role, its load, how long ago it last beat and what is wrong with it, and
which of this event's sessions it carries. Another event's sessions are counted, never named."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.accounts.actors import Actor
from server.agenda.models import Session
from server.events.models import Event
from server.organising.rules import can_see_relays
from server.permissions import require
from server.relays.services import all_relays, is_fresh, load
from server.streams.channels import parse_stream_key


@dataclass(frozen=True)
class CarriedSession:
    session: Session
    languages: list[str]  # interpretation channels of it the relay carries, besides (or without) the floor
    floor: bool
    origin: bool  # the relay ingests it (the publisher is there); else it pulls it (an edge)


@dataclass(frozen=True)
class RelayRow:
    name: str
    role: str  # origin or edge
    alive: bool
    heartbeat_age: float  # seconds since its last heartbeat
    started_at: dt.datetime
    viewers: int
    max_viewers: int
    load: float  # share of its viewer capacity in use, 0..1 (more when over)
    cpu_percent: float  # of one core
    bitrate_out: int  # bits per second
    message: str
    sessions: list[CarriedSession] = field(default_factory=list)  # this event's, in programme order
    other_streams: int = 0  # streams of other events' sessions it carries


async def relay_board(
    db: AsyncSession, *, actor: Actor, event: Event, now: dt.datetime, dead_after: float
) -> list[RelayRow]:
    """Every registered relay, origins first, alive ones before silent ones, by name."""
    require(actor, can_see_relays, event)
    relays = await all_relays(db)
    keys = {key for relay in relays for key in [*relay.carries, *relay.ingests]}
    parsed = {key: parse_stream_key(key) for key in keys}
    ids = {found[0] for found in parsed.values() if found is not None}
    sessions: dict[int, Session] = {}
    if ids:
        rows = await db.exec(select(Session).where(Session.event_id == event.id, col(Session.id).in_(ids)))
        sessions = {session.id or 0: session for session in rows}
    board = []
    for relay in relays:
        carried: dict[int, CarriedSession] = {}
        others = 0
        for key in sorted(set(relay.carries) | set(relay.ingests)):
            found = parsed[key]
            session = sessions.get(found[0]) if found is not None else None
            if found is None or session is None:
                others += 1
                continue
            entry = carried.setdefault(found[0], CarriedSession(session, [], False, False))
            language = found[1]
            entry = CarriedSession(
                session,
                entry.languages + ([language] if language else []),
                entry.floor or language is None,
                entry.origin or key in relay.ingests,
            )
            carried[found[0]] = entry
        board.append(
            RelayRow(
                name=relay.name,
                role=relay.role,
                alive=is_fresh(relay, now=now, dead_after=dead_after),
                heartbeat_age=max(0.0, (now - _aware(relay.heartbeat_at)).total_seconds()),
                started_at=_aware(relay.started_at),
                viewers=relay.viewers,
                max_viewers=relay.max_viewers,
                load=load(relay),
                cpu_percent=relay.cpu_percent,
                bitrate_out=relay.bitrate_out,
                message=relay.message,
                sessions=sorted(carried.values(), key=lambda c: (c.session.start, c.session.id or 0)),
                other_streams=others,
            )
        )
    return sorted(board, key=lambda row: (row.role != "origin", not row.alive, row.name))


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)
