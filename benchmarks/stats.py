"""The numbers one measurement produces: a latency distribution or a throughput."""

from __future__ import annotations

import math
import statistics
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Latency:
    """Round-trip times of sequential request/reply calls, in milliseconds."""

    count: int
    p50_ms: float
    p99_ms: float
    mean_ms: float
    max_ms: float

    @classmethod
    def of(cls, seconds: list[float]) -> Latency:
        ordered = sorted(seconds)
        return cls(
            count=len(ordered),
            p50_ms=_ms(percentile(ordered, 50)),
            p99_ms=_ms(percentile(ordered, 99)),
            mean_ms=_ms(statistics.fmean(ordered)),
            max_ms=_ms(ordered[-1]),
        )

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Throughput:
    """`count` requests sent at once: how long sending took and how long until the last reply."""

    count: int
    send_s: float
    """From the first send to the return of the last one."""
    total_s: float
    """From the first send to the arrival of the last reply."""

    @property
    def per_second(self) -> float:
        return self.count / self.total_s

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "per_second": round(self.per_second, 1)}


def percentile(ordered: list[float], percent: float) -> float:
    """The nearest-rank percentile of sorted samples."""
    rank = max(1, math.ceil(percent / 100 * len(ordered)))
    return ordered[rank - 1]


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 3)
