"""The interpretation channels running in a session: its own plan, else its room's, kept to the event's languages
(a language the event stops offering takes its channels with it)."""

from __future__ import annotations

from sqlmodel import or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.agenda.models import Session
from server.events.models import Event
from server.interpretation.models import ChannelPlan


def in_event_order(event: Event, languages: list[str]) -> list[str]:
    """The event's languages among ``languages``, in the event's order (others dropped)."""
    chosen = set(languages)
    return [language for language in event.language_list if language in chosen]


async def running_channels(db: AsyncSession, *, event: Event, session: Session) -> list[str]:
    """The languages of the session's channels, in the order of the event's languages."""
    plans = (
        await db.exec(
            select(ChannelPlan).where(
                ChannelPlan.event_id == event.id,
                or_(
                    ChannelPlan.session_id == session.id,
                    (ChannelPlan.room_id == session.room_id) & (ChannelPlan.session_id == None),  # noqa: E711
                ),
            )
        )
    ).all()
    own = [plan for plan in plans if plan.session_id is not None]
    chosen = own[0] if own else (plans[0] if plans else None)
    if chosen is None:
        return []
    return in_event_order(event, chosen.language_list)
