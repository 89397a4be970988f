"""The app of the rate-limit benchmark: a task limited per worker to BENCH_RATE."""

from __future__ import annotations

import os
import time

from kafkatask import App

app = App("bench-rate")


@app.task(name="bench.limited", rate_limit=os.environ.get("BENCH_RATE", "10/s"))
def limited(index: int) -> float:
    return time.time()
