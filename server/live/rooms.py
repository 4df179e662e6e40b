"""A room's settings, changed by its moderators."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from server.broadcast import Outcome
from server.live.access import Participant
from server.live.room_log import append, fanout, room_entry, room_write
from server.live.rules import can_moderate, in_room
from server.live.views import Viewer, room_for
from server.permissions import require


async def update_room(
    db: AsyncSession,
    *,
    actor: Participant,
    session_id: int,
    moderated: bool | None = None,
    qa_open: bool | None = None,
    chat_open: bool | None = None,
    chat_reviewed: bool | None = None,
) -> Outcome:
    """Review questions before they are shown (``moderated``), open or close Q&A and chat, review chat messages
    before they are shown (``chat_reviewed``)."""
    require(actor, in_room, session_id)
    require(actor, can_moderate)
    async with room_write(db, session_id=session_id) as room:
        switches = (
            ("moderated", moderated),
            ("qa_open", qa_open),
            ("chat_open", chat_open),
            ("chat_reviewed", chat_reviewed),
        )
        for name, value in switches:
            if value is not None:
                setattr(room, name, value)
        data = await room_entry(db, room)
        entry = append(db, room, kind="room", data=data)
        await db.commit()
    viewer = Viewer(key=actor.key, moderator=True)
    return Outcome(answer={"room": room_for(data, viewer)}, messages=fanout([entry]))
