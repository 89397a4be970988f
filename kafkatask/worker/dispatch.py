"""Dispatcher: start admitted jobs while slots are free; a finishing job starts the next.

Thread-safe: the consumer thread admits jobs, pool threads report them finished, and the next
job starts right there on the finishing thread, without a round trip through the consumer loop.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Coroutine
from typing import Any, Protocol

from kafkatask.worker.batching import BatchCollector
from kafkatask.worker.job import BatchJob, Job, Unit
from kafkatask.worker.keyed import KeyedQueue
from kafkatask.worker.pool import ExecutionPool


class Runner(Protocol):
    def run(self, unit: Unit) -> None: ...

    def arun(self, unit: Unit) -> Coroutine[Any, Any, None]: ...


class Dispatcher:
    def __init__(self, concurrency: int, pool: ExecutionPool) -> None:
        self.concurrency = concurrency
        self._pool = pool
        self._runner: Runner | None = None
        self._lock = threading.Lock()
        self._ready: deque[Unit] = deque()
        self._keyed: KeyedQueue[Job] = KeyedQueue()
        self._batches = BatchCollector(self._enqueue)
        self._running = 0
        self.room = threading.Event()
        """Set whenever a job finishes, so a paused consumer loop can resume at once."""

    def bind(self, runner: Runner) -> None:
        self._runner = runner

    def admit(self, job: Job) -> None:
        if job.batches:
            self._batches.add(job)
            return
        with self._lock:
            if self._keyed.admit(job):
                self._ready.append(job)
            starting = self._take_startable()
        self._start(starting)

    def finished(self, unit: Unit) -> None:
        with self._lock:
            self._running -= 1
            following = self._keyed.release(unit) if isinstance(unit, Job) else None
            if following is not None:
                self._ready.append(following)
            starting = self._take_startable()
        self.room.set()
        self._start(starting)

    def held(self) -> int:
        """Jobs in memory: running, ready for a slot, waiting behind their key or for a batch."""
        with self._lock:
            queued = sum(len(u.jobs) if isinstance(u, BatchJob) else 1 for u in self._ready)
            in_memory = self._running + queued + self._keyed.waiting()
        return in_memory + self._batches.held()

    def running(self) -> int:
        with self._lock:
            return self._running

    def drop(self, partitions: set[tuple[str, int]] | None = None) -> list[Job]:
        """Take back the jobs that have not started (of these partitions, or all of them)."""
        dropped = self._batches.drop(partitions)
        with self._lock:
            kept: deque[Unit] = deque()
            for unit in self._ready:
                jobs = unit.jobs if isinstance(unit, BatchJob) else [unit]
                leaving = [j for j in jobs if partitions is None or j.receipt.tp in partitions]
                dropped.extend(leaving)
                staying = [j for j in jobs if j not in leaving]
                if staying:
                    kept.append(BatchJob(staying) if isinstance(unit, BatchJob) else staying[0])
            self._ready = kept
            dropped.extend(self._keyed.drop(partitions))
        return dropped

    def close(self) -> None:
        self._batches.close()

    def _enqueue(self, batch: BatchJob) -> None:
        with self._lock:
            self._ready.append(batch)
            starting = self._take_startable()
        self._start(starting)

    def _take_startable(self) -> list[Unit]:
        starting: list[Unit] = []
        while self._ready and self._running < self.concurrency:
            starting.append(self._ready.popleft())
            self._running += 1
        return starting

    def _start(self, units: list[Unit]) -> None:
        runner = self._runner
        assert runner is not None, "bind() a runner first"
        for unit in units:
            if unit.runs_async:
                self._pool.run_async(_bound(runner.arun, unit))
            else:
                self._pool.run_sync(lambda unit=unit: runner.run(unit))  # type: ignore[misc]


def _bound(
    run: Callable[[Unit], Coroutine[Any, Any, None]], unit: Unit
) -> Callable[[], Coroutine[Any, Any, None]]:
    return lambda: run(unit)
