"""Flood buckets: refilled at their rate, every claim taken or none."""

from __future__ import annotations

import pytest

from server.rate_limits import Claim, LocalBuckets, Rate

pytestmark = pytest.mark.unit


def test_bucket_refills_at_its_rate() -> None:
    buckets, claim = LocalBuckets(), Claim("ask:a1", Rate(2.0, 3.0))

    taken = [buckets.take([claim], now=100.0) for _ in range(4)]
    later = buckets.take([claim], now=100.5)

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


def test_a_crowds_full_buckets_are_forgotten_and_the_others_still_limit() -> None:
    buckets = LocalBuckets()
    for n in range(1500):  # a crowd joining: each guest's bucket is full again half a second later
        buckets.take([Claim(f"any:g{n}", Rate(2.0, 40.0))], now=10.0)
    flooder = Claim("ask:g-flood", Rate(1 / 60, 2.0))
    answers = [buckets.take([flooder], now=10.0) for _ in range(3)]

    after = buckets.take([flooder], now=12.0)  # the first take past a second forgets the full buckets

    assert answers == [True, True, False]
    assert after is False  # a bucket that is not full is kept: its person stays limited
    assert len(buckets) == 1
