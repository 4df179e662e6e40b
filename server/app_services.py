"""What one application holds for its requests, in one typed object (``app.state.services``) instead of loose
``app.state`` attributes: the settings and database, and the seams the realtime layer fills in when it runs with
the app (the live server as broadcaster, the media relay)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from server.broadcast import Broadcaster, NullBroadcaster
from server.db import Database
from server.phases.board import PhaseBoards
from server.rate_limits import TokenBuckets
from server.reminders.sending import ReminderScheduler
from server.replays.services import ReplayBuilder
from server.settings import Settings
from server.streams.relay_control import RelayControl
from server.streams.scheduler import RecordingScheduler

if TYPE_CHECKING:  # these modules read the services themselves: their types only, or the imports go round
    from server.ops.metrics import LiveRooms
    from server.transport.event_stamps import EventStamps
    from server.transport.page_cache import PageCache
    from server.transport.throttle import Throttle


@dataclass(eq=False)
class Services:
    settings: Settings
    database: Database
    rate_limits: TokenBuckets  # the forms' throttles, over every process when Redis is set
    # The live server when Socket.IO is mounted (realtime/live/asgi.py); otherwise rooms catch up when they join.
    broadcaster: Broadcaster = field(default_factory=NullBroadcaster)
    # The relay that plays recordings and reports status: a relay process, the embedded one, or none (the app
    # alone, as in page tests).
    relay_control: RelayControl | None = None
    live: LiveRooms | None = None  # realtime.live's server, whose connections the metrics count
    stream_statuses: Callable[[], Iterable[Any]] | None = None  # the embedded relay's streams, for metrics
    throttles: dict[str, Throttle] = field(default_factory=dict)
    page_cache: PageCache | None = None
    phase_boards: PhaseBoards = field(default_factory=PhaseBoards)  # every session's phase, kept a moment
    event_stamps: EventStamps | None = None
    # Starts scheduled recordings through whichever relay control is set when their time comes.
    recording_scheduler: RecordingScheduler = field(init=False)
    # Sends due reminders by mail and Web Push (server/reminders/sending.py); the app sets it with the site's links.
    reminder_scheduler: ReminderScheduler | None = None
    # Makes each session's replay once it has ended (server/replays), in the same loop.
    replay_builder: ReplayBuilder = field(init=False)

    def __post_init__(self) -> None:
        self.replay_builder = ReplayBuilder(self.database, lambda: self.settings.media_dir)
        self.recording_scheduler = RecordingScheduler(
            self.database, lambda: self.relay_control, jobs=(self.replay_builder.tick,)
        )


def services_of(app: Any) -> Services:
    """The services of a Starlette application (``request.app``)."""
    found: Services = app.state.services
    return found
