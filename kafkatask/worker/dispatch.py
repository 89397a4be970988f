"""Dispatcher: start admitted jobs while slots are free; a finishing job starts the next.

Thread-safe: the consumer thread admits jobs, pool threads report them finished, and the next
job starts right there on the finishing thread, without a round trip through the consumer loop.
"""

from __future__ import annotations

import threading
from collections import Counter, deque

from kafkatask.worker.execution import TaskRunner
from kafkatask.worker.job import Job
from kafkatask.worker.keyed import KeyedQueue
from kafkatask.worker.pool import ExecutionPool


class Dispatcher:
    def __init__(self, concurrency: int, pool: ExecutionPool) -> None:
        self.concurrency = concurrency
        self._pool = pool
        self._runner: TaskRunner | None = None
        self._lock = threading.Lock()
        self._ready: deque[Job] = deque()
        self._keyed: KeyedQueue[Job] = KeyedQueue()
        self._running: Counter[tuple[str, int]] = Counter()
        self._running_total = 0
        self.room = threading.Event()
        """Set whenever a job finishes, so a paused consumer loop can resume at once."""

    def bind(self, runner: TaskRunner) -> None:
        self._runner = runner

    def admit(self, job: Job) -> None:
        with self._lock:
            if self._keyed.admit(job):
                self._ready.append(job)
            starting = self._take_startable()
        self._start(starting)

    def finished(self, job: Job) -> None:
        with self._lock:
            self._running_total -= 1
            self._running[job.receipt.tp] -= 1
            following = self._keyed.release(job)
            if following is not None:
                self._ready.append(following)
            starting = self._take_startable()
        self.room.set()
        self._start(starting)

    def held(self) -> int:
        """Jobs in memory: running, ready for a slot, or waiting behind their key."""
        with self._lock:
            return self._running_total + len(self._ready) + self._keyed.waiting()

    def running(self) -> int:
        with self._lock:
            return self._running_total

    def drop(self, partitions: set[tuple[str, int]] | None = None) -> list[Job]:
        """Take back the jobs that have not started (of these partitions, or all of them)."""
        with self._lock:
            dropped = [j for j in self._ready if partitions is None or j.receipt.tp in partitions]
            self._ready = deque(j for j in self._ready if j not in dropped)
            dropped.extend(self._keyed.drop(partitions))
            return dropped

    def _take_startable(self) -> list[Job]:
        starting: list[Job] = []
        while self._ready and self._running_total < self.concurrency:
            job = self._ready.popleft()
            self._running_total += 1
            self._running[job.receipt.tp] += 1
            starting.append(job)
        return starting

    def _start(self, jobs: list[Job]) -> None:
        runner = self._runner
        assert runner is not None, "bind() a runner first"
        for job in jobs:
            if job.task.target.is_async:
                self._pool.run_async(lambda job=job: runner.arun(job))  # type: ignore[misc]
            else:
                self._pool.run_sync(lambda job=job: runner.run(job))  # type: ignore[misc]
