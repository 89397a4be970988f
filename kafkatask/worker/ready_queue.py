"""ReadyQueue: the jobs waiting for a free slot, oldest record first.

Jobs become ready out of order: the read-ahead hands them over oldest first, but a record
fetched a moment later can be older than jobs already waiting, and a job of an ordered key
becomes ready only when the one before it finishes. A first-in first-out queue would start
such an older job after every job that happened to be admitted before it (for slow tasks, a
whole round of them later); ordered by the records' timestamps, it starts at the next free
slot.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Iterable, Iterator

from kafkatask.worker.job import BatchJob, Unit


def _age(unit: Unit) -> tuple[float, int, str, int, int]:
    """What orders units: the record's timestamp and tie (read_ahead.py), then its place."""
    if isinstance(unit, BatchJob):
        return min(_age(job) for job in unit.jobs)
    record = unit.record
    return (record.timestamp, record.tie, record.topic, record.partition, record.offset)


class ReadyQueue:
    """A priority queue of units by their records' age; not thread-safe (the dispatcher's
    lock guards it)."""

    def __init__(self) -> None:
        self._heap: list[tuple[tuple[float, int, str, int, int], int, Unit]] = []
        self._order = itertools.count()

    def __len__(self) -> int:
        return len(self._heap)

    def __iter__(self) -> Iterator[Unit]:
        return (unit for _, _, unit in self._heap)

    def push(self, unit: Unit) -> None:
        heapq.heappush(self._heap, (_age(unit), next(self._order), unit))

    def pop(self) -> Unit:
        """The oldest unit; raises IndexError when empty."""
        return heapq.heappop(self._heap)[2]

    def replace(self, units: Iterable[Unit]) -> None:
        """Hold exactly these units from now on."""
        self._heap = [(_age(unit), next(self._order), unit) for unit in units]
        heapq.heapify(self._heap)

    def jobs(self) -> int:
        """Jobs held (a micro-batch counts each of its jobs)."""
        return sum(len(unit.jobs) if isinstance(unit, BatchJob) else 1 for unit in self)
