"""Pure pieces of the live rooms: presence counting, flood buckets, payload decoding, projections."""

from __future__ import annotations

import pytest

from realtime.live.coalescer import PRESENCE_SENDS_PER_SECOND, Coalescer
from realtime.live.limits import Owner, PersonLimits, Refusals
from realtime.live.payloads import Kind, TooLarge, decode, optional, required
from realtime.live.presence import Headcount, Presence
from server.db import Database
from server.errors import InvalidInput
from server.live import audiences
from server.live.views import AUDIENCE, MODERATORS, Viewer, project
from server.rate_limits import Bucket, Claim, LocalBuckets, Rate

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


async def test_presence_news_waits_longer_in_big_rooms() -> None:
    """A crowd arriving would otherwise cost every person in the room a message a second."""
    presence = Presence()
    for n in range(3):
        presence.enter(1, f"g{n}", "onsite")
    for n in range(3000):
        presence.enter(2, f"g{n}", "online")
    database = Database("sqlite+aiosqlite://")
    coalescer = Coalescer(database, presence, _ignore, presence_every=1.0)

    waits = (coalescer._presence_wait(1), coalescer._presence_wait(2))

    await database.dispose()
    assert waits == (1.0, 3000 / PRESENCE_SENDS_PER_SECOND)


async def _ignore(*_args: object) -> None:
    return None


def test_bucket_refills_at_its_rate() -> None:
    bucket = Bucket(rate=2.0, burst=3.0)

    taken = [bucket.take(now=100.0) for _ in range(4)]
    later = bucket.take(now=100.5)

    assert taken == [True, True, True, False]
    assert later is True


def test_local_buckets_take_every_claim_or_none() -> None:
    buckets = LocalBuckets()
    person, address = Claim("ask:g1", Rate(0.0, 2.0)), Claim("ask:address:10.0.0.1", Rate(0.0, 3.0))

    answers = [buckets.take([person, address], now=1.0) for _ in range(3)]
    other_guest = buckets.take([Claim("ask:g2", Rate(0.0, 2.0)), address], now=1.0)
    full_address = buckets.take([Claim("ask:g3", Rate(0.0, 2.0)), address], now=1.0)

    assert answers == [True, True, False]  # the third took nothing from the address either
    assert (other_guest, full_address) == (True, False)


async def test_limits_hold_per_person_and_count_refusals_per_connection() -> None:
    limits = PersonLimits(None, prefix="test")
    first_tab, second_tab = Refusals(), Refusals()
    person = Owner(person="a1")

    answers = [await limits.allow(person, "ask", tab) for tab in [first_tab, second_tab] * 4]
    other = await limits.allow(Owner(person="a2"), "ask", Refusals())

    assert answers == [True] * 5 + [False] * 3
    assert (first_tab.count, second_tab.count) == (1, 2) and not second_tab.flooding
    assert other is True


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


def test_pending_question_projects_to_skip_for_the_audience_only() -> None:
    question = {
        "id": 7,
        "text": "Why?",
        "status": "pending",
        "answered": False,
        "archived": False,
        "label": "",
        "votes": 0,
        "anonymous": True,
        "author": {"key": "a5", "name": "Ayu"},
        "origin": "online",
        "country": "ID",
        "edited": False,
        "merged_into": None,
        "mine": False,
        "created_at": "2026-01-01T00:00:00Z",
    }
    data = {"question": question, "was_public": False}

    assert project("question", data, AUDIENCE) == ("skip", None)
    assert project("question", data, MODERATORS)[1]["author"] == {"key": "a5", "name": "Ayu"}
    own = project("question", data, Viewer(key="a5", moderator=False))[1]
    assert (own["mine"], own["author"]) == (True, {"key": "a5", "name": "Ayu"})
    published = {"question": {**question, "status": "approved"}, "was_public": False}
    assert project("question", published, AUDIENCE)[1]["author"] is None
    removed = {"question": {**question, "status": "rejected"}, "was_public": True}
    assert project("question", removed, AUDIENCE) == ("question_removed", {"id": 7})


def test_person_group_names_read_back_and_nothing_else_does() -> None:
    assert audiences.parse_person(audiences.person(12, "g0123abcd")) == (12, "g0123abcd")
    names = [audiences.moderators(12), audiences.audience(12), audiences.event(3), "person:x:a1", "person:12:", "sid"]
    assert [audiences.parse_person(name) for name in names] == [None] * len(names)
