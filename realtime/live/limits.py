"""Flood limits per person, checked before anything reaches the database: token buckets and a cap on
open connections, shared by every process through Redis (server/rate_limits.py, connection_caps.py).

A person is their account; a guest is their guest key and, since anyone can start over as a new guest,
also their address, with room for a hall of guests behind one NAT (PROTOCOL.md, "Limits")."""

from __future__ import annotations

from dataclasses import dataclass

from realtime.live.connection_caps import Cap, ConnectionCaps
from server.rate_limits import BoundedRedis, Claim, Rate, TokenBuckets
from server.settings import DEFAULT_LIVE_GUESTS_PER_ADDRESS

# Requests of any kind, then the writes people make by hand.
LIMITS: dict[str, Rate] = {
    "any": Rate(20.0, 40.0),
    "ask": Rate(5 / 60, 5.0),
    "chat": Rate(10 / 30, 10.0),
    "vote": Rate(6.0, 60.0),
    "caption": Rate(1.0, 20.0),  # a line a second, after a burst of a respeaker's pasted lines
}
CONNECTIONS_PER_PERSON = 20  # tabs and devices of one account, or of one guest key
# The guests behind one address (a hall on the venue's NAT, scanning the room's QR code) share one person's
# limits for every this many of them; how many guests that is, PODIUM_LIVE_GUESTS_PER_ADDRESS says.
GUESTS_PER_PERSONS_SHARE = 20
# A connection refused this many times keeps flooding: it is disconnected.
MAX_REFUSALS = 200


@dataclass(frozen=True, slots=True)
class Owner:
    """Whose limits a connection's requests count against: the person, and for a guest the address too."""

    person: str  # ``Identity.key``: "a<account id>" or "g<guest id>"
    guest_address: str | None = None


@dataclass(slots=True)
class Refusals:
    """One connection's refused requests."""

    count: int = 0

    @property
    def flooding(self) -> bool:
        return self.count > MAX_REFUSALS


class PersonLimits:
    def __init__(
        self, redis_url: str | None, *, prefix: str, guests_per_address: int = DEFAULT_LIVE_GUESTS_PER_ADDRESS
    ) -> None:
        self.redis = BoundedRedis(redis_url) if redis_url else None
        self.buckets = TokenBuckets(self.redis, prefix=prefix)
        self.connections = ConnectionCaps(self.redis, prefix=prefix)
        self.guests_per_address = guests_per_address

    def claims(self, owner: Owner, name: str) -> list[Claim]:
        rate = LIMITS[name]
        claims = [Claim(f"{name}:{owner.person}", rate)]
        if owner.guest_address is not None:
            shares = max(1.0, self.guests_per_address / GUESTS_PER_PERSONS_SHARE)
            claims.append(Claim(f"{name}:address:{owner.guest_address}", rate.times(shares)))
        return claims

    def caps(self, owner: Owner) -> list[Cap]:
        caps = [Cap(owner.person, CONNECTIONS_PER_PERSON)]
        if owner.guest_address is not None:
            caps.append(Cap(f"address:{owner.guest_address}", self.guests_per_address))
        return caps

    async def allow(self, owner: Owner, name: str, refusals: Refusals) -> bool:
        allowed = await self.buckets.take(self.claims(owner, name))
        if not allowed:
            refusals.count += 1
        return allowed

    async def close(self) -> None:
        await self.connections.stop()
        if self.redis is not None:
            await self.redis.close()
