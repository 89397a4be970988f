"""The task bodies both systems run: the same Python functions, registered by each app.

Only the standard library here: the module is imported by kafkatask's app and, in a virtualenv
of its own, by Celery's.
"""

from __future__ import annotations

import time


def noop(value: int) -> int:
    """Nothing but the round trip: returns its argument."""
    return value


def sleeper(seconds: float) -> float:
    """Sleeps like a task waiting on I/O (a model, an API); returns when it started.

    The start is `time.time()`, the clock the caller reads too (same machine), so the caller
    can tell when each task started against when it was sent.
    """
    started = time.time()
    time.sleep(seconds)
    return started


def echo(payload: str) -> str:
    """Returns its argument: a payload that travels to the worker and back."""
    return payload
