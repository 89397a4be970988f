"""StreamSlot: the stream records of one task, as the client's router receives them."""

from __future__ import annotations

import asyncio
import threading

from kafkatask.protocol import StreamChunk


class StreamSlot:
    """An append-only list of (offset, chunk) that any number of readers walk at their pace."""

    def __init__(self, task_id: str, floor: int) -> None:
        self.id = task_id
        self.floor = floor
        """An offset of the stream partition at or before this task's first record."""
        self.records: list[tuple[int, StreamChunk]] = []
        self._changed = threading.Condition()
        self._waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = []

    def append(self, offset: int, chunk: StreamChunk) -> None:
        with self._changed:
            self.records.append((offset, chunk))
            self._changed.notify_all()
            waiters, self._waiters = self._waiters, []
        for loop, future in waiters:
            loop.call_soon_threadsafe(_resolve, future)

    def wait(self, count: int, timeout: float | None) -> bool:
        """Wait until there are more than `count` records."""
        with self._changed:
            return self._changed.wait_for(lambda: len(self.records) > count, timeout)

    async def wait_async(self, count: int, timeout: float | None) -> bool:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        with self._changed:
            if len(self.records) > count:
                return True
            self._waiters.append((loop, future))
        try:
            await asyncio.wait_for(future, timeout)
        except TimeoutError:
            return False
        return True


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)
