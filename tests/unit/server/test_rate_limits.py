"""Flood buckets: refilled at their rate, every claim taken or none."""

from __future__ import annotations

import pytest

from server.rate_limits import Bucket, Claim, LocalBuckets, Rate

pytestmark = pytest.mark.unit


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
