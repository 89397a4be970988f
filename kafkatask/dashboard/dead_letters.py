"""DeadLetterBrowser: the dead-letter page's view of `kafkatask.dlq.DeadLetterQueue`.

Reading the dead-letter topic means reading it whole, so a read is shared by everyone who asks
within `max_age` seconds (pages refresh every few seconds); replay and purge always act on a
fresh read and invalidate the shared one. The page shows the newest `SHOWN` letters; filters
narrow the rest down.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from kafkatask.app import App
from kafkatask.dlq import DeadLetterEntry, DeadLetterQueue, DlqFilter, Status

SHOWN = 500


@dataclass(frozen=True)
class DeadLetterList:
    read_at: float
    total: int
    """Letters matching the filter; the newest SHOWN of them are in `entries`."""
    entries: list[DeadLetterEntry]
    unresolved: int
    """Letters neither replayed nor purged, whatever the filter."""


class DeadLetterBrowser:
    def __init__(self, app: App, queue: DeadLetterQueue | None = None) -> None:
        self._queue = queue or DeadLetterQueue(app)
        self._lock = threading.Lock()
        self._cached: tuple[float, list[DeadLetterEntry]] | None = None

    def listing(
        self,
        *,
        status: Status | None = "dead",
        task: str | None = None,
        error_type: str | None = None,
        max_age: float = 2.0,
    ) -> DeadLetterList:
        read_at, everything = self._all(max_age)
        where = DlqFilter(task=task, error_type=error_type, status=status)
        chosen = [entry for entry in everything if where(entry)]
        unresolved = sum(1 for entry in everything if entry.status == "dead")
        newest = list(reversed(chosen[-SHOWN:]))
        return DeadLetterList(read_at, len(chosen), newest, unresolved)

    def get(self, offset: int) -> DeadLetterEntry | None:
        _, everything = self._all(max_age=2.0)
        return next((entry for entry in everything if entry.offset == offset), None)

    def replay(self, offsets: list[int], by: str) -> list[str]:
        """Send the original tasks of these (unresolved) letters again; returns their ids."""
        with self._lock:
            chosen = self._unresolved(offsets)
            ids = self._queue.replay(chosen, by=by) if chosen else []
            self._cached = None
        return ids

    def purge(self, offsets: list[int], by: str) -> int:
        """Drop these (unresolved) letters for good; returns how many."""
        with self._lock:
            chosen = self._unresolved(offsets)
            purged = self._queue.purge(chosen, by=by) if chosen else 0
            self._cached = None
        return purged

    def _unresolved(self, offsets: list[int]) -> list[DeadLetterEntry]:
        wanted = set(offsets)
        return [entry for entry in self._queue.entries() if entry.offset in wanted]

    def _all(self, max_age: float) -> tuple[float, list[DeadLetterEntry]]:
        with self._lock:
            cached = self._cached
            if cached is None or time.time() - cached[0] > max_age:
                cached = (time.time(), self._queue.entries(DlqFilter(status=None)))
                self._cached = cached
            return cached
