"""ExecutionPool: sync tasks on a thread pool, async tasks on one event loop thread."""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Callable, Coroutine
from typing import Any

_log = logging.getLogger("kafkatask.worker")


class ExecutionPool:
    """Runs submitted work; how much runs at once is bounded by the worker, not here.

    The threads take work from one queue: a handoff costs a queue put, where
    ThreadPoolExecutor's futures and semaphore cost a measurable share of a worker's time with
    fast tasks. There are twice as many threads as slots: a sync task past its time limit is
    abandoned, not killed, and keeps its thread until it returns. The threads are daemons, so
    such a task cannot keep the process from exiting.
    """

    def __init__(self, concurrency: int) -> None:
        self._work: queue.SimpleQueue[Callable[[], None] | None] = queue.SimpleQueue()
        self._threads = [
            threading.Thread(target=self._serve, name=f"kafkatask-task-{n}", daemon=True)
            for n in range(2 * concurrency)
        ]
        for thread in self._threads:
            thread.start()
        self._loop = asyncio.new_event_loop()
        self._loop_thread = threading.Thread(
            target=self._loop.run_forever, name="kafkatask-asyncio", daemon=True
        )
        self._loop_thread.start()

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        return self._loop

    def run_sync(self, work: Callable[[], None]) -> None:
        self._work.put(work)

    def run_async(self, work: Callable[[], Coroutine[Any, Any, None]]) -> None:
        asyncio.run_coroutine_threadsafe(work(), self._loop)

    def shutdown(self) -> None:
        """Stop the threads once they are idle; running sync tasks are not waited for."""
        for _ in self._threads:
            self._work.put(None)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._loop_thread.join(timeout=2.0)
        if not self._loop.is_running():
            for task in asyncio.all_tasks(self._loop):
                task.cancel()
            self._loop.close()

    def _serve(self) -> None:
        while (work := self._work.get()) is not None:
            try:
                work()
            except BaseException:  # the runner reports task errors; this is a bug in it
                _log.exception("a pool thread's work failed")
