"""StreamSlot: the stream records of one task, as the client's router receives them."""

from __future__ import annotations

import threading

from kafkatask.client.waiters import AsyncWaiters, until_resolved, wake
from kafkatask.protocol import StreamChunk


class StreamSlot:
    """An append-only list of (offset, chunk) that any number of readers walk at their pace."""

    def __init__(self, task_id: str, floor: int) -> None:
        self.id = task_id
        self.floor = floor
        """An offset of the stream partition at or before this task's first record."""
        self.records: list[tuple[int, StreamChunk]] = []
        self._attempts: set[str] = set()
        self._newest = ""
        self._changed = threading.Condition()
        self._waiters = AsyncWaiters()

    def append(self, offset: int, chunk: StreamChunk) -> bool:
        """Add a record; True when it ends the stream readers follow (see streaming.py)."""
        with self._changed:
            self.records.append((offset, chunk))
            if chunk.attempt not in self._attempts:
                self._attempts.add(chunk.attempt)
                self._newest = chunk.attempt
            self._changed.notify_all()
            waiting = self._waiters.take()
        wake(waiting)
        # An older attempt that ends (a frozen worker waking up) does not end the stream.
        return chunk.kind in ("end", "error") and chunk.attempt == self._newest

    def wait(self, count: int, timeout: float | None) -> bool:
        """Wait until there are more than `count` records."""
        with self._changed:
            return self._changed.wait_for(lambda: len(self.records) > count, timeout)

    async def wait_async(self, count: int, timeout: float | None) -> bool:
        with self._changed:
            if len(self.records) > count:
                return True
            future = self._waiters.add()
        try:
            return await until_resolved(future, timeout)
        finally:
            with self._changed:
                self._waiters.discard(future)
