"""CircuitBreaker: stop calling a back-end that keeps failing, then try it again.

`circuit_breaker=5` opens the breaker after 5 consecutive failures of the task on a worker;
while open, the task fails fast with CircuitOpenError (retried like any error when it is in
`autoretry_for`). After `circuit_breaker_cooldown` seconds (30 by default) one run is let
through: its success closes the breaker, its failure opens it again.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from kafkatask.exceptions import CircuitOpenError, TaskRegistrationError
from kafkatask.middleware.base import Middleware, Outcome

if TYPE_CHECKING:
    from kafkatask.worker.job import Job


@dataclass
class _Breaker:
    failures: int = 0
    opened_at: float | None = None
    trial: int | None = None
    """id() of the job let through while half open."""


class CircuitBreaker(Middleware):
    options: ClassVar[Mapping[str, str]] = {
        "circuit_breaker": "consecutive failures that open the task's breaker",
        "circuit_breaker_cooldown": "seconds the breaker stays open before a trial run (30)",
    }

    def __init__(self) -> None:
        self._breakers: dict[str, _Breaker] = {}
        self._lock = threading.Lock()

    @classmethod
    def validate(cls, task: str, options: Mapping[str, Any]) -> None:
        threshold = options.get("circuit_breaker")
        if threshold is not None and (not isinstance(threshold, int) or threshold < 1):
            raise TaskRegistrationError(f"task {task}: circuit_breaker must be an integer >= 1")
        cooldown = options.get("circuit_breaker_cooldown", 30.0)
        if not isinstance(cooldown, int | float) or cooldown <= 0:
            raise TaskRegistrationError(f"task {task}: circuit_breaker_cooldown must be > 0 s")

    def before_run(self, job: Job) -> None:
        threshold, cooldown = self._settings(job)
        if threshold is None:
            return
        with self._lock:
            breaker = self._breakers.setdefault(job.name, _Breaker())
            if breaker.opened_at is None:
                return
            waited = time.monotonic() - breaker.opened_at
            if waited >= cooldown and breaker.trial is None:
                breaker.trial = id(job)  # half open: this one run may try the back-end
                return
        raise CircuitOpenError(
            f"task {job.name} failed {breaker.failures} times in a row; its circuit breaker is "
            f"open and it is not run for {max(0.0, cooldown - waited):.1f}s more"
        )

    def after_run(self, job: Job, outcome: Outcome) -> Outcome:
        threshold, _ = self._settings(job)
        if threshold is None or isinstance(outcome.error, CircuitOpenError):
            return outcome
        with self._lock:
            breaker = self._breakers.setdefault(job.name, _Breaker())
            if breaker.trial not in (None, id(job)):
                return outcome
            breaker.trial = None
            if outcome.kind == "success":
                breaker.failures, breaker.opened_at = 0, None
            elif outcome.kind in ("failure", "retry"):
                breaker.failures += 1
                if breaker.failures >= threshold or breaker.opened_at is not None:
                    breaker.opened_at = time.monotonic()
        return outcome

    def state(self, task: str) -> str:
        """closed, open or half-open (for tests and metrics)."""
        with self._lock:
            breaker = self._breakers.get(task)
        if breaker is None or breaker.opened_at is None:
            return "closed"
        return "half-open" if breaker.trial is not None else "open"

    @staticmethod
    def _settings(job: Job) -> tuple[int | None, float]:
        extra = job.task.options.extra
        return extra.get("circuit_breaker"), float(extra.get("circuit_breaker_cooldown", 30.0))
