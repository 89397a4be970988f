"""Request rates per API key: a token bucket per key, in this gateway process."""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from kafkatask.gateway.keys import ApiKey


class TokenBucket:
    """`rate` tokens a second, at most `burst` saved up; each request takes one."""

    def __init__(
        self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._tokens = float(burst)
        self._at = clock()

    def take(self) -> float:
        """0 when a token was taken; otherwise the seconds until one will be there."""
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._at) * self.rate)
        self._at = now
        if self._tokens >= 1:
            self._tokens -= 1
            return 0.0
        return (1 - self._tokens) / self.rate


class Quotas:
    """The bucket of each key that has a rate.

    Buckets live in this process: behind a load balancer, N gateway processes let a key make N
    times its rate (give each key rate / N for a limit across all of them).
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._buckets: dict[str, TokenBucket] = {}

    def take(self, key: ApiKey) -> float:
        """0 when `key` may make a request now; otherwise the seconds it has to wait."""
        if key.rate is None:
            return 0.0
        bucket = self._buckets.get(key.name)
        if bucket is None:
            burst = key.burst or max(1, math.ceil(key.rate))
            bucket = self._buckets[key.name] = TokenBucket(key.rate, burst, self._clock)
        return bucket.take()
