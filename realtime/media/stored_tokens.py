"""Publish tokens checked against the generation stored in the app's database, as every relay process sees it."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

from sqlalchemy.exc import SQLAlchemyError

from realtime.media.relay import RelayError
from server.db import Database
from server.streams.keys import current_generation, session_id_of
from server.streams.tokens import check_publish_token

# How long a relay trusts the generation it read: a rotated token is refused on every relay within this.
GENERATION_CACHE_SECONDS = 2.0

log = logging.getLogger("podium.relay")


class TokensUnavailable(RelayError):
    status = 503


@dataclass
class StoredPublishTokens:
    """``verify`` for a relay policy. A token newer than the cached generation is checked against the database at
    once, so a freshly rotated token publishes without waiting for the cache."""

    secret: str
    database: Database
    cache_seconds: float = GENERATION_CACHE_SECONDS
    _cached: dict[int, tuple[int, float]] = field(default_factory=dict)

    async def generation(self, session_id: int, *, at_least: int = 0) -> int:
        now = time.monotonic()
        cached = self._cached.get(session_id)
        if cached is not None and now - cached[1] < self.cache_seconds and cached[0] >= at_least:
            return cached[0]
        try:
            async with self.database.session() as db:
                generation = await current_generation(db, session_id=session_id)
        except (SQLAlchemyError, OSError) as exc:
            # A relay that cannot read the database says so (503) rather than calling a good token wrong (401).
            log.error("cannot read the publish token generation of session %s: %s", session_id, exc)
            raise TokensUnavailable("the relay cannot check publish tokens right now; try again shortly") from None
        if len(self._cached) > 10_000:
            self._cached.clear()
        self._cached[session_id] = (generation, now)
        return generation

    async def verify(self, session_key: str, token: str) -> bool:
        session_id = session_id_of(session_key)
        claimed, _, _ = token.partition(".")
        if session_id is None or not claimed.isdigit() or len(claimed) > 9:
            return False
        generation = await self.generation(session_id, at_least=int(claimed))
        return check_publish_token(self.secret, session_key, token, generation)
