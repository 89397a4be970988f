"""BatchCollector: gather invoke requests of a micro-batching task into one `batch` call.

A task registered with `batch_size=N, batch_window_ms=W` waits until N requests are pending,
or W milliseconds passed since the first, then runs them as one BatchJob: LLM back-ends answer
N prompts in one call for about the price of one.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from kafkatask.worker.job import BatchJob, Job


@dataclass
class _Gathering:
    deadline: float
    jobs: list[Job] = field(default_factory=list)


class BatchCollector:
    def __init__(self, submit: Callable[[BatchJob], None]) -> None:
        self._submit = submit
        self._gathering: dict[str, _Gathering] = {}
        self._condition = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(
            target=self._flush_due, name="kafkatask-batches", daemon=True
        )
        self._thread.start()

    def add(self, job: Job) -> None:
        options = job.task.options
        with self._condition:
            gathering = self._gathering.get(job.name)
            if gathering is None:
                due = time.monotonic() + options.batch_window_ms / 1000
                gathering = self._gathering[job.name] = _Gathering(due)
                self._condition.notify()
            gathering.jobs.append(job)
            full = len(gathering.jobs) >= options.batch_size
            if full:
                del self._gathering[job.name]
        if full:
            self._submit(BatchJob(gathering.jobs))

    def held(self) -> int:
        with self._condition:
            return sum(len(g.jobs) for g in self._gathering.values())

    def drop(self, leaving: Callable[[Job], bool]) -> list[Job]:
        """Take back the gathered jobs for which `leaving` is true."""
        dropped: list[Job] = []
        with self._condition:
            for gathering in self._gathering.values():
                dropped.extend(job for job in gathering.jobs if leaving(job))
                gathering.jobs = [job for job in gathering.jobs if not leaving(job)]
            self._gathering = {name: g for name, g in self._gathering.items() if g.jobs}
        return dropped

    def close(self) -> None:
        with self._condition:
            self._closed = True
            self._condition.notify()
        self._thread.join(timeout=2.0)

    def _flush_due(self) -> None:
        while True:
            with self._condition:
                if self._closed:
                    return
                now = time.monotonic()
                due = [name for name, g in self._gathering.items() if g.deadline <= now]
                ready = [BatchJob(self._gathering.pop(name).jobs) for name in due]
                if not ready:
                    deadlines = [g.deadline for g in self._gathering.values()]
                    self._condition.wait(min(deadlines) - now if deadlines else None)
                    continue
            for batch in ready:
                self._submit(batch)
