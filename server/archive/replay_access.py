"""Who may watch a session's replay: its publication and the event's audience live here (server/archive), the
replay itself in server/replays."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from server.accounts.actors import Actor
from server.accounts.models import Role
from server.agenda.models import Session
from server.archive.models import ReplayAudience, SessionArchive
from server.events.models import Event
from server.live.models import LiveSettings
from server.replays.models import Replay, ReplayState


async def watchable_replay(db: AsyncSession, *, actor: Actor, event: Event, session: Session) -> Replay | None:
    """The session's replay if ``actor`` may watch it now: ready, published (organisers see it before), and the
    event's audience (its confirmed delegates and staff, or everyone). Another event's session has none."""
    if session.event_id != event.id or session.id is None:
        return None
    replay = await db.get(Replay, session.id)
    if replay is None or replay.state != ReplayState.ready or not replay.stored_name:
        return None
    if actor.has(Role.organiser):
        return replay
    archive = await db.get(SessionArchive, session.id)
    if archive is None or not archive.replay_published:
        return None
    settings = await db.get(LiveSettings, event.id)
    audience = settings.replay_audience if settings is not None else ReplayAudience.delegates
    if audience == ReplayAudience.everyone or actor.roles:  # any role: a delegate (confirmed) or the event's staff
        return replay
    return None
