"""The app worker processes run in the fault tests; its settings come from KAFKATASK_* vars."""

from __future__ import annotations

import time

from kafkatask import App
from kafkatask.context import BoundTask

app = App("faults")


class PoisonError(Exception):
    """The input can never be processed."""


@app.task(name="faults.sleepy")
def sleepy(index: int, seconds: float) -> int:
    time.sleep(seconds)
    return index


@app.task(
    name="faults.process", autoretry_for=(PoisonError,), max_retries=2, default_retry_delay=0.2
)
def process(item: str) -> str:
    if item == "poison":
        raise PoisonError(f"{item!r} can never be processed")
    return item.upper()


@app.task(name="faults.retry_once", bind=True, max_retries=1)
def retry_once(self: BoundTask, countdown: float) -> str:
    if self.request.retries == 0:
        self.retry(exc=RuntimeError("first attempt fails"), countdown=countdown)
    return f"done on retry {self.request.retries}"
