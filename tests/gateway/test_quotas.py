"""Token buckets: a key's rate and burst, on a clock the test moves."""

from __future__ import annotations

import pytest

from kafkatask.gateway import ApiKey
from kafkatask.gateway.quotas import Quotas, TokenBucket


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_bucket_lets_a_burst_through_then_one_request_per_interval():
    clock = Clock()
    bucket = TokenBucket(rate=2.0, burst=3, clock=clock)
    assert [bucket.take() for _ in range(3)] == [0.0, 0.0, 0.0]
    assert bucket.take() == pytest.approx(0.5)  # a token comes every half second
    clock.now += 0.25
    assert bucket.take() == pytest.approx(0.25)
    clock.now += 0.25
    assert bucket.take() == 0.0


def test_a_quiet_spell_saves_up_no_more_than_the_burst():
    clock = Clock()
    bucket = TokenBucket(rate=1.0, burst=2, clock=clock)
    clock.now += 3600
    assert [bucket.take() for _ in range(3)] == [0.0, 0.0, pytest.approx(1.0)]


def test_each_key_has_its_own_bucket_and_keys_without_a_rate_none():
    clock = Clock()
    quotas = Quotas(clock)
    slow = ApiKey(name="slow", key="k" * 16, rate=0.5)
    other = ApiKey(name="other", key="o" * 16, rate=0.5)
    free = ApiKey(name="free", key="f" * 16)
    assert quotas.take(slow) == 0.0  # the burst defaults to the rate rounded up: 1
    assert quotas.take(slow) == pytest.approx(2.0)
    assert quotas.take(other) == 0.0
    assert all(quotas.take(free) == 0.0 for _ in range(1000))
