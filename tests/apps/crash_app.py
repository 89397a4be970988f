"""An app for worker processes started by tests (crash and CLI tests); settings from env."""

from __future__ import annotations

import time

from kafkatask import App

app = App("crash")


@app.task
def slow(index: int, seconds: float) -> int:
    time.sleep(seconds)
    return index


@app.task
def add(x: int, y: int) -> int:
    return x + y
