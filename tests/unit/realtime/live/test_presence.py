"""Presence counts people, not tabs."""

from __future__ import annotations

import pytest

from realtime.live.presence import Headcount, Presence

pytestmark = pytest.mark.unit


def test_presence_counts_people_not_tabs() -> None:
    presence = Presence()
    presence.enter(1, "a1", "online")
    presence.enter(1, "a1", "online")
    presence.enter(1, "g2", "onsite")
    presence.leave(1, "a1")

    assert presence.local(1) == Headcount(connected=2, online=1)
    presence.leave(1, "a1")
    presence.leave(1, "g2")
    presence.leave(1, "g2")
    assert presence.local(1) == Headcount(connected=0, online=0)
