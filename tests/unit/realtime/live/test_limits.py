"""Limits per person, refusals counted per connection."""

from __future__ import annotations

import pytest

from realtime.live.limits import Owner, PersonLimits, Refusals

pytestmark = pytest.mark.unit


async def test_limits_hold_per_person_and_count_refusals_per_connection() -> None:
    limits = PersonLimits(None, prefix="test")
    first_tab, second_tab = Refusals(), Refusals()
    person = Owner(person="a1")

    answers = [await limits.allow(person, "ask", tab) for tab in [first_tab, second_tab] * 4]
    other = await limits.allow(Owner(person="a2"), "ask", Refusals())

    assert answers == [True] * 5 + [False] * 3
    assert (first_tab.count, second_tab.count) == (1, 2) and not second_tab.flooding
    assert other is True
