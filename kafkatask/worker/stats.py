"""WorkerStats: counters a worker reports in its heartbeats (and, later, metrics)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field


@dataclass
class WorkerStats:
    active: int = 0
    processed: int = 0
    succeeded: int = 0
    failed: int = 0
    retried: int = 0
    duplicates: int = 0
    """Requests not run again because the same task id and attempt already ran (idempotency)."""
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def started(self) -> None:
        with self._lock:
            self.active += 1

    def finished(self, succeeded: bool) -> None:
        with self._lock:
            self.active -= 1
            self.processed += 1
            if succeeded:
                self.succeeded += 1
            else:
                self.failed += 1

    def retrying(self) -> None:
        """A run failed and the task was sent to run again later."""
        with self._lock:
            self.active -= 1
            self.processed += 1
            self.retried += 1

    def suppressed_duplicate(self) -> None:
        with self._lock:
            self.duplicates += 1

    def rejected(self) -> None:
        """A message that could not run at all (unknown task, undecodable, expired)."""
        with self._lock:
            self.processed += 1
            self.failed += 1
