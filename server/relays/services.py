"""The relay registry: each relay process writes its heartbeat (addresses, role, load, the stream keys it ingests and
carries) into its ``RelayNode`` row every few seconds; the app reads the fresh rows to send each new viewer to a
relay, and an edge reads them to find the origin of a key.

Heartbeats go to the database directly, never over HTTP: only a process holding the database's credentials can
register a relay, so there is no heartbeat request to forge. A relay whose heartbeat is older than ``dead_after``
seconds is dead: it is never chosen, and the console shows since when it is silent.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import and_, case, delete, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.db import begin_write
from server.relays.models import RelayNode, RelayRole

FORGET_AFTER = dt.timedelta(hours=1)  # a relay silent this long leaves the console (its row is deleted)
BUSY_CPU_PERCENT = 90.0  # of one core: a relay this busy gets new viewers only when every other one is as busy
# A viewer placed on a relay reaches it within this (its WHEP offer, on a slow phone at a keynote's start): until
# then the relay's heartbeat, which counts only those connected, does not lower the count the placements raised.
PLACEMENT_WINDOW = dt.timedelta(seconds=10)


async def heartbeat(
    db: AsyncSession,
    *,
    name: str,
    role: str,
    internal_url: str,
    public_url: str,
    viewers: int,
    max_viewers: int,
    cpu_percent: float,
    bitrate_out: int,
    ingests: Sequence[str],
    carries: Sequence[str],
    message: str,
    started_at: dt.datetime,
    now: dt.datetime,
) -> None:
    """Writes the relay's row, by name: created on its first heartbeat, replaced on each one after (a relay restarted
    under the same name takes its row over). Commits."""
    values = {
        "role": RelayRole(role).value,
        "internal_url": internal_url[:300],
        "public_url": public_url[:300],
        "viewers": max(0, viewers),
        "max_viewers": max(0, max_viewers),
        "cpu_percent": round(max(0.0, cpu_percent), 1),
        "bitrate_out": max(0, bitrate_out),
        "ingests": sorted(set(ingests)),
        "carries": sorted(set(carries)),
        "message": message[:300],
        "started_at": started_at,
        "heartbeat_at": now,
    }
    dialect = postgresql if db.get_bind().dialect.name == "postgresql" else sqlite
    placing = and_(col(RelayNode.placed_at) > now - PLACEMENT_WINDOW, col(RelayNode.viewers) > values["viewers"])
    await begin_write(db)
    statement = (
        dialect.insert(RelayNode)
        .values(name=name[:100], **values)
        .on_conflict_do_update(
            index_elements=["name"],
            set_={**values, "viewers": case((placing, col(RelayNode.viewers)), else_=values["viewers"])},
        )
    )
    await db.exec(statement)
    await db.commit()


async def forget_relay(db: AsyncSession, *, name: str, started_at: dt.datetime) -> None:
    """A relay shutting down leaves the registry at once (no viewer is sent to it meanwhile); a row another process
    under the same name has taken over since stays. Commits."""
    await db.exec(delete(RelayNode).where(col(RelayNode.name) == name, col(RelayNode.started_at) == started_at))
    await db.commit()


async def forget_silent(db: AsyncSession, *, now: dt.datetime) -> None:
    """Deletes the rows of relays silent for ``FORGET_AFTER``: gone for good, not worth showing. Commits."""
    await db.exec(delete(RelayNode).where(col(RelayNode.heartbeat_at) < now - FORGET_AFTER))
    await db.commit()


def is_fresh(relay: RelayNode, *, now: dt.datetime, dead_after: float) -> bool:
    return _aware(relay.heartbeat_at) >= now - dt.timedelta(seconds=dead_after)


async def all_relays(db: AsyncSession) -> list[RelayNode]:
    """Every registered relay, dead ones included, origins first, by name."""
    rows = await db.exec(select(RelayNode).order_by(col(RelayNode.role).desc(), col(RelayNode.name)))
    return list(rows)


async def fresh_relays(db: AsyncSession, *, now: dt.datetime, dead_after: float) -> list[RelayNode]:
    """The relays alive now: a heartbeat within the last ``dead_after`` seconds. Origins first, by name."""
    since = now - dt.timedelta(seconds=dead_after)
    rows = await db.exec(
        select(RelayNode)
        .where(col(RelayNode.heartbeat_at) >= since)
        .order_by(col(RelayNode.role).desc(), col(RelayNode.name))
    )
    return list(rows)


def origin_among(relays: Iterable[RelayNode], key: str) -> RelayNode | None:
    """The relay that ingests ``key`` (its publisher, interpreter or recording plays there); an edge never is one.
    Two origins claiming it (a publisher that moved): the later heartbeat."""
    origins = [r for r in relays if r.role == RelayRole.origin and key in r.ingests]
    return max(origins, key=lambda r: _aware(r.heartbeat_at), default=None)


async def origin_of(db: AsyncSession, key: str, *, now: dt.datetime, dead_after: float) -> RelayNode | None:
    """The fresh relay whose ``ingests`` holds ``key``, or None: nobody publishes it now (or its origin died)."""
    return origin_among(await fresh_relays(db, now=now, dead_after=dead_after), key)


@dataclass(frozen=True)
class Placement:
    relay: RelayNode
    carries: bool  # the relay has the key's media now; else it pulls it from the origin first (an edge)
    # The relay is full or CPU-bound, before this viewer: chosen last, so every other candidate is too (the
    # session's WebRTC capacity is used up; its player turns to HLS where there is one).
    crowded: bool = False


def load(relay: RelayNode) -> float:
    """The share of its viewer capacity in use; a relay without a limit counts its viewers against a thousand."""
    return relay.viewers / (relay.max_viewers or 1000)


def full(relay: RelayNode) -> bool:
    return relay.max_viewers > 0 and relay.viewers >= relay.max_viewers


def busy(relay: RelayNode) -> bool:
    """Full, or above BUSY_CPU_PERCENT of a core: a relay to send a viewer to only when every other one is too."""
    return full(relay) or relay.cpu_percent >= BUSY_CPU_PERCENT


def choose_relay(relays: Sequence[RelayNode], key: str, *, avoid: str = "") -> Placement | None:
    """Where a new viewer of ``key`` goes, among fresh ``relays``: the least loaded of those that carry it and of the
    edges that can pull it (its origin is alive). A full or CPU-bound relay comes only after every other one; on
    equal load a relay that carries the key beats one that must pull it, and an edge beats the origin (which keeps
    its CPU for ingest). ``avoid`` (the relay a viewer just failed to reach) comes last. None: no relay has or can
    get the key (nobody publishes it yet); the viewer goes to the site's own relay address then."""
    origin = origin_among(relays, key)
    candidates = [
        Placement(relay, key in relay.carries, busy(relay))
        for relay in relays
        if key in relay.carries or (relay.role == RelayRole.edge and origin is not None) or relay is origin
    ]
    if not candidates:
        return None

    def rank(placement: Placement) -> tuple[bool, bool, float, bool, bool, float, str]:
        relay = placement.relay
        return (
            relay.name == avoid,
            placement.crowded,
            round(load(relay), 3),
            not placement.carries,
            relay.role != RelayRole.edge,
            relay.cpu_percent,
            relay.name,
        )

    return min(candidates, key=rank)


async def place_viewer(
    db: AsyncSession, key: str, *, now: dt.datetime, dead_after: float, avoid: str = ""
) -> Placement | None:
    """Chooses the relay for a new viewer of ``key`` (``choose_relay``) and counts the viewer there at once, so the
    viewers who ask in the same heartbeat interval spread instead of all going to the relay that looked emptiest;
    heartbeats write the relay's real count again once PLACEMENT_WINDOW has passed since the last placement (a count
    lowered sooner would send the next ones after viewers still connecting). Commits when it chose one."""
    placement = choose_relay(await fresh_relays(db, now=now, dead_after=dead_after), key, avoid=avoid)
    if placement is None:
        return None
    relay = placement.relay
    await begin_write(db)  # after the read: on SQLite a read transaction may not turn into a write
    await db.exec(
        update(RelayNode).where(col(RelayNode.id) == relay.id).values(viewers=col(RelayNode.viewers) + 1, placed_at=now)
    )
    await db.commit()
    return placement


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)
