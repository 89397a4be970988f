"""The app worker processes run in the fault tests; its settings come from KAFKATASK_* vars."""

from __future__ import annotations

import os
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


def _journal(event: str, what: str) -> None:
    """Append one line to the file KAFKATASK_TEST_JOURNAL names: when, which process, what.

    Appends of one short line are atomic across processes, so the file's order is the order in
    which workers started and finished tasks, whichever process ran them.
    """
    path = os.environ.get("KAFKATASK_TEST_JOURNAL")
    if path:
        with open(path, "a") as journal:
            journal.write(f"{time.time():.6f} {os.getpid()} {event} {what}\n")


@app.task(name="faults.step", ordered=True)
def step(conversation: str, n: int, seconds: float) -> int:
    """Turn `n` of a conversation: turns of one conversation (one key) run one at a time."""
    _journal("start", f"{conversation}:{n}")
    time.sleep(seconds)
    _journal("end", f"{conversation}:{n}")
    return n


@app.task(name="faults.noted")
def noted(index: int, seconds: float) -> int:
    _journal("start", f"plain:{index}")
    time.sleep(seconds)
    _journal("end", f"plain:{index}")
    return index
