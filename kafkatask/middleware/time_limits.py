"""TimeLimits: `soft_time_limit` raises inside the task; `time_limit` ends it.

SoftTimeLimitExceeded can be caught by the task (to clean up, or return what it has). At
`time_limit` the caller gets TimeLimitExceeded, the task's slot is freed and the worker goes
on; an async task is cancelled, a sync one is interrupted at its next Python instruction (see
interrupts.py) and its late outcome is dropped.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from kafkatask.exceptions import SoftTimeLimitExceeded, TaskRegistrationError, TimeLimitExceeded
from kafkatask.middleware.base import Middleware, WorkerServices
from kafkatask.worker.timers import Timer

if TYPE_CHECKING:
    from kafkatask.worker.interrupts import RunningTask
    from kafkatask.worker.job import Job


class TimeLimits(Middleware):
    options: ClassVar[Mapping[str, str]] = {
        "soft_time_limit": "seconds after which SoftTimeLimitExceeded is raised in the task",
        "time_limit": "seconds after which the task is ended with TimeLimitExceeded",
    }

    def __init__(self) -> None:
        self._services: WorkerServices | None = None
        self._timers: dict[int, list[Timer]] = {}
        self._lock = threading.Lock()

    @classmethod
    def validate(cls, task: str, options: Mapping[str, Any]) -> None:
        soft, hard = options.get("soft_time_limit"), options.get("time_limit")
        for name, value in (("soft_time_limit", soft), ("time_limit", hard)):
            if value is not None and (not isinstance(value, int | float) or value <= 0):
                raise TaskRegistrationError(f"task {task}: {name} must be a number of seconds > 0")
        if soft is not None and hard is not None and soft >= hard:
            raise TaskRegistrationError(
                f"task {task}: soft_time_limit ({soft}s) must be below time_limit ({hard}s)"
            )

    def start(self, services: WorkerServices) -> None:
        self._services = services

    def running(self, job: Job, task: RunningTask) -> None:
        soft = job.task.options.extra.get("soft_time_limit")
        hard = job.task.options.extra.get("time_limit")
        if self._services is None or (soft is None and hard is None):
            return
        timers = self._services.timers
        armed = []
        if soft is not None:
            armed.append(timers.call_later(soft, lambda: task.interrupt(SoftTimeLimitExceeded)))
        if hard is not None:
            error = TimeLimitExceeded(
                f"task {job.label()} ran past its time_limit of {hard:g}s and was ended"
            )
            armed.append(timers.call_later(hard, lambda: task.abandon(error)))
        with self._lock:
            self._timers[id(job)] = armed

    def after_running(self, job: Job) -> None:
        with self._lock:
            armed = self._timers.pop(id(job), [])
        for timer in armed:
            timer.cancel()
