"""KeyedQueue: one task at a time per key, in offset order, for tasks declared `ordered=True`.

A chat conversation's turns share a key; the second turn must not start before the first ends,
while other conversations keep running concurrently.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Generic, Protocol, TypeVar


class KeyedJob(Protocol):
    @property
    def order_key(self) -> tuple[str, int, bytes] | None: ...


J = TypeVar("J", bound=KeyedJob)


class KeyedQueue(Generic[J]):
    def __init__(self) -> None:
        self._busy: dict[tuple[str, int, bytes], deque[J]] = {}

    def admit(self, job: J) -> bool:
        """True when `job` may start now; otherwise it waits behind its key's running job."""
        key = job.order_key
        if key is None:
            return True
        waiting = self._busy.get(key)
        if waiting is None:
            self._busy[key] = deque()
            return True
        waiting.append(job)
        return False

    def release(self, job: J) -> J | None:
        """`job` finished: the next job of its key, which may start now (the key stays busy)."""
        key = job.order_key
        if key is None or key not in self._busy:
            return None
        waiting = self._busy[key]
        if waiting:
            return waiting.popleft()
        del self._busy[key]
        return None

    def waiting(self) -> int:
        return sum(len(jobs) for jobs in self._busy.values())

    def drop(self, leaving: Callable[[J], bool]) -> list[J]:
        """Take back the waiting jobs for which `leaving` is true; returns them."""
        dropped: list[J] = []
        for key, jobs in self._busy.items():
            going = [job for job in jobs if leaving(job)]
            dropped.extend(going)
            self._busy[key] = deque(job for job in jobs if job not in going)
        return dropped
