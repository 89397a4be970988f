"""Celery behind the comparison's client interface (benchmarks/versus/client.py).

Runs in the virtualenv of benchmarks/versus/celery_venv.py, with `VERSUS_REDIS_URL` set.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import redis

APP = "benchmarks.versus.celery_app"


class CeleryClient:
    name = "celery"

    def __init__(self) -> None:
        from benchmarks.versus import celery_app

        self._app = celery_app.app
        self._tasks = celery_app.TASKS
        self._redis_url = celery_app.REDIS_URL

    def prepare(self) -> None:
        """Empty the Redis server: no queue, result or reservation of an earlier run is left."""
        with redis.Redis.from_url(self._redis_url) as server:
            server.flushall()

    def worker_command(self, concurrency: int, index: int) -> list[str]:
        celery = Path(sys.executable).with_name("celery")
        return [
            *(str(celery), "-A", APP, "worker", "--pool", "threads", "-c", str(concurrency)),
            *("-n", f"versus{index}@%h", "-l", "warning"),
        ]

    def warm_up(self, timeout: float) -> None:
        self._tasks["noop"].delay(0).get(timeout=timeout)

    def wait_for_workers(self, count: int, timeout: float) -> None:
        """Wait until `count` workers answer a ping (remote control, through Redis)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self._app.control.ping(timeout=0.5)) >= count:
                return
        raise TimeoutError(f"{count} workers did not all answer a ping within {timeout:.0f}s")

    def send(self, task: str, *args: Any) -> Any:
        return self._tasks[task].delay(*args)

    def result(self, handle: Any, timeout: float) -> Any:
        return handle.get(timeout=timeout)

    def finish_sending(self) -> None:
        """Nothing to wait for: `delay()` returns once Redis has the task (a synchronous LPUSH)."""

    def close(self) -> None:
        self._app.close()
