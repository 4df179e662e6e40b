"""Socket payloads decode to exactly the declared fields."""

from __future__ import annotations

import pytest

from realtime.live.payloads import Kind, TooLarge, decode, optional, required
from server.errors import InvalidInput

pytestmark = pytest.mark.unit


def test_decode_takes_exactly_the_declared_fields() -> None:
    fields = {"session": required(Kind.int), "vote": required(Kind.bool), "label": optional(Kind.text)}

    assert decode(({"session": 3, "vote": False},), fields) == {"session": 3, "vote": False}
    for bad in (
        {"session": 3},
        {"session": 3, "vote": 1},
        {"session": 3.0, "vote": True},
        {"session": 3, "vote": True, "x": 1},
    ):
        with pytest.raises(InvalidInput):
            decode((bad,), fields)
    with pytest.raises(TooLarge):
        decode(({"session": 3, "vote": True, "label": "x" * 9000},), fields)
