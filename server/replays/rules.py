"""Who may watch a session's replay, and who manages a session's recording and replay."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from server.accounts.actors import Actor
from server.accounts.rules import is_delegate, is_event_staff, is_organiser
from server.permissions import predicate


@dataclass(frozen=True)
class ReplayAccess:
    """What the watch rule asks about: the replay's state and publication, and the event's audience setting."""

    ready: bool  # a joined file exists (``ReplayState.ready``)
    published: bool  # ``SessionArchive.replay_published``
    audience: str  # ``LiveSettings.replay_audience``: "delegates" or "everyone"


@predicate("a ready replay the organisers published")
def _published(_actor: Actor, access: Any) -> bool:
    return bool(access.ready and access.published)


@predicate("anyone, when the event shows its replays to everyone")
def _for_everyone(_actor: Actor, access: Any) -> bool:
    return bool(access.audience == "everyone")


@predicate("a ready replay")
def _ready(_actor: Actor, access: Any) -> bool:
    return bool(access.ready)


# The recording page: recording on or off, the relay's recording status, the replay made, published, deleted.
can_manage_replay = is_organiser.named("can_manage_replay")
# The replay file and its description for the player; organisers see it before they publish it.
can_watch_replay = ((is_organiser & _ready) | (_published & (_for_everyone | is_delegate | is_event_staff))).named(
    "can_watch_replay", who="organisers (once ready); once published, the event's delegates and staff, or everyone"
)
