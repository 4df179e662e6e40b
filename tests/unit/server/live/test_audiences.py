"""Socket.IO room names of the live rooms."""

from __future__ import annotations

import pytest

from server.live import audiences

pytestmark = pytest.mark.unit


def test_person_group_names_read_back_and_nothing_else_does() -> None:
    assert audiences.parse_person(audiences.person(12, "g0123abcd")) == (12, "g0123abcd")
    names = [audiences.moderators(12), audiences.audience(12), audiences.event(3), "person:x:a1", "person:12:", "sid"]
    assert [audiences.parse_person(name) for name in names] == [None] * len(names)
