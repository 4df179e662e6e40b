""" "On now" and "next" in each room, from the programme and a phase board."""

from __future__ import annotations

from dataclasses import dataclass

from server.agenda.models import Room
from server.agenda.services import Programme, SessionView
from server.phases.board import PhaseBoard
from server.phases.rule import Phase


@dataclass(frozen=True)
class RoomNow:
    room: Room
    on_now: SessionView | None  # live, or in its scheduled time and awaiting its stream
    next: SessionView | None  # the room's next session to start


def rooms_now(programme: Programme, board: PhaseBoard) -> list[RoomNow]:
    """Each room that has a session on now or still to come: those with one on now first, each group in the
    programme's order of rooms.

    A live session is on now (a stream that runs over included); else the one whose scheduled time holds the
    moment ("starting soon" while its stream is awaited). Next is the room's first session starting later that is
    not cancelled."""
    now = board.now
    by_room: dict[int | None, list[SessionView]] = {}
    for view in programme.sessions:  # in order of start
        if not view.session.cancelled:
            by_room.setdefault(view.room.id, []).append(view)
    shown = []
    for room in programme.rooms:
        views = by_room.get(room.id, [])
        live = [view for view in views if board.phase(view.session.id) == Phase.live]
        running = [view for view in views if view.session.start <= now < view.session.end]
        candidates = live or running
        on_now = candidates[0] if candidates else None
        later = [view for view in views if view.session.start > now and view is not on_now]
        following = later[0] if later else None
        if on_now is not None or following is not None:
            shown.append(RoomNow(room=room, on_now=on_now, next=following))
    shown.sort(key=lambda entry: entry.on_now is None)  # rooms with something on now first (a stable sort)
    return shown
