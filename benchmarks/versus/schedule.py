"""The LLM-shaped scenario's task durations, and the FIFO schedule a system is compared with.

Durations are log-normal (median 200 ms, sigma 0.6: most calls near the median, a few several
times longer, like a model's answers), drawn from a fixed seed, so both systems get the same
tasks in the same order. The comparison is a perfect FIFO scheduler on the same number of
slots: each task, in send order, starts the moment a slot is free, with no cost for sending,
fetching or reporting.
"""

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

MEDIAN_S = 0.2
SIGMA = 0.6
SEED = 20261201


def durations(count: int) -> list[float]:
    """`count` log-normal durations in seconds, the same for every call with the same count."""
    draw = random.Random(SEED)
    return [round(draw.lognormvariate(math.log(MEDIAN_S), SIGMA), 4) for _ in range(count)]


def fifo_starts(durations: Sequence[float], slots: int) -> list[float]:
    """When each task starts (seconds after the first send) under greedy FIFO on `slots`."""
    free = [0.0] * slots  # the time each slot becomes free, as a heap
    starts = []
    for duration in durations:
        start = heapq.heappop(free)
        starts.append(start)
        heapq.heappush(free, start + duration)
    return starts


def makespan(durations: Sequence[float], slots: int) -> float:
    """When the FIFO schedule's last task ends."""
    starts = fifo_starts(durations, slots)
    return max(start + duration for start, duration in zip(starts, durations, strict=True))


@dataclass(frozen=True)
class Schedule:
    """How a run's actual start times compare with the FIFO schedule of the same tasks."""

    wall_s: float
    """From the first send to the last result."""
    fifo_s: float
    """The FIFO schedule's makespan: when its last task ends."""
    max_late_s: float
    """The largest (actual start - FIFO start) of any task."""
    out_of_order: int
    """Tasks that started before some task sent earlier."""
    max_overtake_s: float
    """The most by which a task started before one sent earlier (0 when none did)."""

    @classmethod
    def of(
        cls, durations: Sequence[float], slots: int, starts: Sequence[float], wall_s: float
    ) -> Schedule:
        """`starts`: each task's actual start, in seconds after the first send, in send order."""
        fifo = fifo_starts(durations, slots)
        late = max(actual - ideal for actual, ideal in zip(starts, fifo, strict=True))
        return cls(wall_s, makespan(durations, slots), late, *overtaking(starts))

    def as_dict(self) -> dict[str, float]:
        return {
            "wall_s": round(self.wall_s, 3),
            "fifo_s": round(self.fifo_s, 3),
            "wall_over_fifo": round(self.wall_s / self.fifo_s, 3),
            "max_late_s": round(self.max_late_s, 3),
            "out_of_order": self.out_of_order,
            "max_overtake_s": round(self.max_overtake_s, 4),
        }


def overtaking(starts: Sequence[float]) -> tuple[int, float]:
    """How many tasks started before a task sent before them, and the most by which one did."""
    count, latest, most = 0, -math.inf, 0.0
    for start in starts:
        if start < latest:
            count += 1
            most = max(most, latest - start)
        latest = max(latest, start)
    return count, most
