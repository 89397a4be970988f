"""Middleware: documented no-op hooks around running a task, and the options each one owns.

A worker runs its middleware's `before_*` hooks in order and the `after_*` hooks in reverse.
Each middleware declares the task options it owns; `@app.task` refuses an option that no
middleware owns, and lets the owner check the values.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Literal

if TYPE_CHECKING:
    from kafkatask.worker.interrupts import RunningTask
    from kafkatask.worker.job import Job
    from kafkatask.worker.timers import TimerQueue

OutcomeKind = Literal["success", "failure", "retry", "revoked"]


@dataclass(slots=True)
class Outcome:
    """What became of one run of a task, as the middleware may still change it."""

    kind: OutcomeKind
    value: Any = None
    error: BaseException | None = None
    countdown: float | None = None
    """For "retry": seconds until the next attempt."""
    dead_letter: bool = False
    """For "failure": keep the request in the dead-letter topic (its retries ran out)."""


@dataclass(frozen=True)
class WorkerServices:
    """What a worker lends its middleware."""

    worker_id: str
    timers: TimerQueue


class Middleware:
    """Base class: every hook does nothing. Subclass and override what you need."""

    options: ClassVar[Mapping[str, str]] = {}
    """The task options this middleware owns, each with a one-line description."""

    @classmethod
    def validate(cls, task: str, options: Mapping[str, Any]) -> None:
        """Check this middleware's options of `task` at registration; raise to refuse them."""

    def start(self, services: WorkerServices) -> None:
        """The worker is starting."""

    def stop(self) -> None:
        """The worker is stopping."""

    def before_start(self, job: Job) -> float:
        """Seconds `job` must wait before it may start (0: now). Called until it returns 0."""
        return 0.0

    def before_run(self, job: Job) -> None:
        """`job` is about to run; raise to fail it without running it."""

    def running(self, job: Job, task: RunningTask) -> None:
        """`job` runs now; `task` can interrupt it."""

    def after_running(self, job: Job) -> None:
        """`job` stopped running (before its outcome is settled)."""

    def after_run(self, job: Job, outcome: Outcome) -> Outcome:
        """Inspect or change the outcome (a failure may become a retry)."""
        return outcome
