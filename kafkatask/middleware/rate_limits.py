"""RateLimits: `rate_limit="50/s"` (or /m, /h) per task, per worker, without busy waiting.

A token bucket holding one token: each job reserves the next free start time, and a job that
must wait waits on the worker's timer, not in a slot, so other tasks keep running. For a
cluster-wide limit across N workers give each worker the limit divided by N (see the README).
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from kafkatask.exceptions import TaskRegistrationError
from kafkatask.middleware.base import Middleware

if TYPE_CHECKING:
    from kafkatask.worker.job import Job

_RATE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*/\s*(s|m|h)\s*$")
_PER = {"s": 1.0, "m": 60.0, "h": 3600.0}


def parse_rate(text: str) -> float:
    """Tasks per second of a rate like "50/s", "100/m" or "10/h"."""
    match = _RATE.match(text)
    if match is None or float(match.group(1)) <= 0:
        raise ValueError(f"rate {text!r} is not like '50/s', '100/m' or '10/h'")
    return float(match.group(1)) / _PER[match.group(2)]


class RateLimits(Middleware):
    options: ClassVar[Mapping[str, str]] = {
        "rate_limit": "at most this many starts per worker, e.g. '50/s', '100/m', '10/h'",
    }

    def __init__(self) -> None:
        self._next_start: dict[str, float] = {}
        self._lock = threading.Lock()
        self.waits = 0
        """Jobs that had to wait for their rate limit (a metric)."""

    @classmethod
    def validate(cls, task: str, options: Mapping[str, Any]) -> None:
        rate = options.get("rate_limit")
        if rate is None:
            return
        try:
            parse_rate(rate)
        except (ValueError, TypeError) as error:
            raise TaskRegistrationError(f"task {task}: {error}") from None

    def before_start(self, job: Job) -> float:
        rate = job.task.options.extra.get("rate_limit")
        if rate is None:
            return 0.0
        interval = 1.0 / parse_rate(rate)
        now = time.monotonic()
        with self._lock:
            start = max(self._next_start.get(job.name, now), now)
            self._next_start[job.name] = start + interval
        wait = start - now
        if wait > 0:
            self.waits += 1
        return wait
