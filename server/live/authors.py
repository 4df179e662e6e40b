"""Who wrote a question or a chat message: the columns they share (``models.AuthoredInRoom``), as a
participant fills them."""

from __future__ import annotations

from typing import Any

from server.live.access import Participant


def authored_by(actor: Participant) -> dict[str, Any]:
    """The author columns of a row ``actor`` writes in their room."""
    return {
        "event_id": actor.event_id,
        "session_id": actor.session_id,
        "author_key": actor.key,
        "account_id": actor.account_id,
        "author_name": actor.name,
        "origin": actor.origin,
        "country": actor.country,
    }
