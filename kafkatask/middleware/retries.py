"""Retries: run a failed task again later, with backoff, through the delay topics.

Celery's option names: `max_retries` (3), `autoretry_for` (exception types that retry
automatically), `retry_backoff` (exponential backoff; a number is the factor in seconds),
`retry_backoff_max` (600 s cap), `retry_jitter` (full jitter, on by default),
`default_retry_delay` (180 s, the delay without backoff). A bound task may also call
`self.retry(exc=..., countdown=...)`. The waits are tenacity's wait strategies.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

import tenacity
from tenacity.wait import wait_base

from kafkatask.exceptions import MaxRetriesExceededError, Retry, TaskRegistrationError
from kafkatask.middleware.base import Middleware, Outcome

if TYPE_CHECKING:
    from kafkatask.worker.job import Job

DEFAULTS: dict[str, Any] = {
    "max_retries": 3,
    "autoretry_for": (),
    "retry_backoff": False,
    "retry_backoff_max": 600.0,
    "retry_jitter": True,
    "default_retry_delay": 180.0,
}


class Retries(Middleware):
    options: ClassVar[Mapping[str, str]] = {
        "max_retries": "retries after the first run before the task fails (default 3)",
        "autoretry_for": "exception types that retry the task automatically",
        "retry_backoff": "exponential backoff: True, or the factor in seconds",
        "retry_backoff_max": "the longest backoff delay in seconds (default 600)",
        "retry_jitter": "randomize backoff delays (full jitter; default True)",
        "default_retry_delay": "the delay without backoff, in seconds (default 180)",
    }

    @classmethod
    def validate(cls, task: str, options: Mapping[str, Any]) -> None:
        retries = options.get("max_retries", 0)
        if not isinstance(retries, int) or retries < 0:
            raise TaskRegistrationError(f"task {task}: max_retries must be an integer >= 0")
        kinds = options.get("autoretry_for", ())
        if not isinstance(kinds, tuple | list) or not all(
            isinstance(kind, type) and issubclass(kind, BaseException) for kind in kinds
        ):
            raise TaskRegistrationError(
                f"task {task}: autoretry_for must be a tuple of exception types, got {kinds!r}"
            )
        for name in ("retry_backoff_max", "default_retry_delay"):
            if name in options and options[name] < 0:
                raise TaskRegistrationError(f"task {task}: {name} must be >= 0 seconds")

    def after_run(self, job: Job, outcome: Outcome) -> Outcome:
        if outcome.kind != "failure" or outcome.error is None:
            return outcome
        options = {**DEFAULTS, **job.task.options.extra}
        error = outcome.error
        requested = error if isinstance(error, Retry) else None
        if requested is None and not isinstance(error, tuple(options["autoretry_for"])):
            return outcome
        limit = options["max_retries"]
        if requested is not None and requested.max_retries is not None:
            limit = requested.max_retries
        retries = job.message.retries
        if retries >= limit:
            final = _final_error(requested, error, retries)
            return Outcome("failure", error=final, dead_letter=True)
        countdown = requested.countdown if requested and requested.countdown is not None else None
        if countdown is None:
            countdown = backoff(options).__call__(_attempt(retries + 1))
        cause = requested.exc if requested and requested.exc is not None else error
        return Outcome("retry", error=cause, countdown=countdown)


def backoff(options: Mapping[str, Any]) -> wait_base:
    """The wait strategy of a task's retry options."""
    factor = options["retry_backoff"]
    if not factor:
        return tenacity.wait_fixed(options["default_retry_delay"])
    factor = 1.0 if factor is True else float(factor)
    cap = options["retry_backoff_max"]
    if options["retry_jitter"]:
        return tenacity.wait_random_exponential(multiplier=factor, max=cap)
    return tenacity.wait_exponential(multiplier=factor, max=cap)


def _attempt(number: int) -> tenacity.RetryCallState:
    state = tenacity.RetryCallState(retry_object=tenacity.Retrying(), fn=None, args=(), kwargs={})
    state.attempt_number = number
    return state


def _final_error(requested: Retry | None, error: BaseException, retries: int) -> BaseException:
    if requested is None:
        return error
    if requested.exc is not None:
        return requested.exc
    return MaxRetriesExceededError(f"the task asked for a retry after its {retries} retries")
