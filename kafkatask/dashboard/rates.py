"""Recent activity in fixed memory: event counts per second, and task run times.

TaskRates keeps one slot per second of the last `span` seconds in a ring, indexed by the
second itself, so memory does not depend on the event rate and a late event still lands in
the right second. RuntimeSample keeps the run times of the most recent finished tasks.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

KINDS = ("succeeded", "failed", "retried", "rejected", "revoked", "received")
KIND_OF_EVENT = {
    "task-succeeded": "succeeded",
    "task-failed": "failed",
    "task-retried": "retried",
    "task-rejected": "rejected",
    "task-revoked": "revoked",
    "task-received": "received",
}
_FUTURE_SLACK = 60
"""Seconds an event may be ahead of this clock (skewed worker clocks) and still count."""


class TaskRates:
    def __init__(self, span: int = 900) -> None:
        self.span = span
        self._seconds = [-1] * span
        self._counts = [[0] * len(KINDS) for _ in range(span)]

    def add(self, kind: str, ts: float, now: float) -> None:
        second = int(ts)
        if second <= now - self.span or second > now + _FUTURE_SLACK:
            return
        slot = second % self.span
        if self._seconds[slot] != second:
            self._seconds[slot] = second
            self._counts[slot] = [0] * len(KINDS)
        self._counts[slot][KINDS.index(kind)] += 1

    def total(self, kind: str, seconds: int, now: float) -> int:
        """Events of `kind` in the last `seconds` seconds."""
        index = KINDS.index(kind)
        return sum(counts[index] for counts in self._recent(seconds, now))

    def series(self, kind: str, seconds: int, step: int, now: float) -> list[float]:
        """Events of `kind` per second, averaged over `step`-second buckets, oldest first."""
        index = KINDS.index(kind)
        buckets = max(seconds // step, 1)
        values = [0.0] * buckets
        first = int(now) - buckets * step + 1
        for offset, counts in self._by_second(first, buckets * step):
            values[offset // step] += counts[index] / step
        return values

    def _recent(self, seconds: int, now: float) -> list[list[int]]:
        first = int(now) - min(seconds, self.span) + 1
        return [counts for _, counts in self._by_second(first, min(seconds, self.span))]

    def _by_second(self, first: int, count: int) -> list[tuple[int, list[int]]]:
        found = []
        for offset in range(min(count, self.span)):
            second = first + offset
            slot = second % self.span
            if self._seconds[slot] == second:
                found.append((offset, self._counts[slot]))
        return found


@dataclass(frozen=True)
class Percentiles:
    count: int
    p50: float | None
    p95: float | None
    p99: float | None


class RuntimeSample:
    """Run times of the last `size` finished tasks, with the time each finished."""

    def __init__(self, size: int = 10_000) -> None:
        self._runtimes: deque[tuple[float, float]] = deque(maxlen=size)

    def add(self, runtime: float, ts: float) -> None:
        if math.isfinite(runtime) and runtime >= 0:
            self._runtimes.append((ts, runtime))

    def percentiles(self, since: float) -> Percentiles:
        values = sorted(runtime for ts, runtime in self._runtimes if ts >= since)
        if not values:
            return Percentiles(0, None, None, None)
        return Percentiles(
            len(values), _rank(values, 0.50), _rank(values, 0.95), _rank(values, 0.99)
        )


def _rank(ordered: list[float], fraction: float) -> float:
    """The nearest-rank percentile of an ordered list."""
    index = max(math.ceil(fraction * len(ordered)) - 1, 0)
    return ordered[index]
