"""MiddlewareStack: the worker's middleware, `before_*` in order and `after_*` in reverse."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TypeVar

from kafkatask.middleware.base import Middleware, Outcome, WorkerServices
from kafkatask.worker.interrupts import RunningTask
from kafkatask.worker.job import Job

_log = logging.getLogger("kafkatask.worker")
M = TypeVar("M", bound=Middleware)


class MiddlewareStack:
    def __init__(self, middleware: Sequence[Middleware]) -> None:
        self.middleware = list(middleware)

    def find(self, kind: type[M]) -> M | None:
        return next((m for m in self.middleware if isinstance(m, kind)), None)

    def start(self, services: WorkerServices) -> None:
        for middleware in self.middleware:
            middleware.start(services)

    def stop(self) -> None:
        for middleware in reversed(self.middleware):
            middleware.stop()

    def before_start(self, job: Job) -> float:
        return max((m.before_start(job) for m in self.middleware), default=0.0)

    def before_run(self, job: Job) -> None:
        for middleware in self.middleware:
            middleware.before_run(job)

    def running(self, job: Job, task: RunningTask) -> None:
        for middleware in self.middleware:
            middleware.running(job, task)

    def after_running(self, job: Job) -> None:
        for middleware in reversed(self.middleware):
            try:
                middleware.after_running(job)
            except Exception:  # a broken hook must not lose the job's outcome
                _log.exception("%s.after_running failed", type(middleware).__name__)

    def after_run(self, job: Job, outcome: Outcome) -> Outcome:
        for middleware in reversed(self.middleware):
            try:
                outcome = middleware.after_run(job, outcome)
            except Exception:
                _log.exception("%s.after_run failed", type(middleware).__name__)
        return outcome
