"""Celery's app of the comparison: the same bodies as kafkatask's, on Redis.

Imported only in the virtualenv benchmarks/versus/celery_venv.py makes (Celery is no
dependency of kafkatask). The Redis server comes from `VERSUS_REDIS_URL`; the broker is its
database 0 and the result backend its database 1.

Configuration, beyond Celery's defaults:
- `task_acks_late`: a task is acknowledged after it ran, as kafkatask commits offsets only past
  finished work, so both lose nothing when a worker dies;
- `worker_prefetch_multiplier` 1 (`VERSUS_CELERY_PREFETCH_MULTIPLIER` to change it): each
  worker reserves no more tasks than it has threads. It matters when tasks are long and there
  are several workers: a worker holding tasks it cannot start yet keeps them from the others
  (docs/benchmarks.md measures what it changes).
The pool (`--pool threads -c N`) is chosen on the worker's command line.
"""

from __future__ import annotations

import os

from celery import Celery

from benchmarks.versus import bodies

REDIS_URL = os.environ.get("VERSUS_REDIS_URL", "redis://127.0.0.1:6379")
PREFETCH_MULTIPLIER = int(os.environ.get("VERSUS_CELERY_PREFETCH_MULTIPLIER", "1"))

app = Celery("versus", broker=f"{REDIS_URL}/0", backend=f"{REDIS_URL}/1")
app.conf.update(
    task_acks_late=True,
    worker_prefetch_multiplier=PREFETCH_MULTIPLIER,
    broker_connection_retry_on_startup=True,
)

noop = app.task(name="versus.noop")(bodies.noop)
sleeper = app.task(name="versus.sleeper")(bodies.sleeper)
echo = app.task(name="versus.echo")(bodies.echo)

TASKS = {"noop": noop, "sleeper": sleeper, "echo": echo}
