"""Interpretation channels for tests: the event's languages and a session's channel plan, as organisers set them."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from server.agenda.models import Session
from server.events.models import Event
from server.interpretation.models import ChannelPlan


async def run_channels(
    db: AsyncSession, event: Event, session: Session, languages: tuple[str, ...], *, offered: str = "en,ja,ko"
) -> None:
    """The event offers ``offered``; ``session`` runs a channel into each of ``languages``."""
    event = await db.get_one(Event, event.id)
    event.languages = offered
    db.add(event)
    db.add(ChannelPlan(event_id=event.id or 0, session_id=session.id, languages=",".join(languages)))
    await db.commit()
