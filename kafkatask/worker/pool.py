"""ExecutionPool: sync tasks on a thread pool, async tasks on one event loop thread."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any


class ExecutionPool:
    """Runs submitted work; how much runs at once is bounded by the worker, not here."""

    def __init__(self, concurrency: int) -> None:
        # Twice the slots: a sync task past its time limit is abandoned, not killed, and
        # keeps its thread until it returns; the worker's concurrency stays what it was.
        self._threads = ThreadPoolExecutor(
            max_workers=2 * concurrency, thread_name_prefix="kafkatask-task"
        )
        self._loop = asyncio.new_event_loop()
        self._loop_thread = threading.Thread(
            target=self._loop.run_forever, name="kafkatask-asyncio", daemon=True
        )
        self._loop_thread.start()

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        return self._loop

    def run_sync(self, work: Callable[[], None]) -> None:
        self._threads.submit(work)

    def run_async(self, work: Callable[[], Coroutine[Any, Any, None]]) -> None:
        asyncio.run_coroutine_threadsafe(work(), self._loop)

    def shutdown(self) -> None:
        """Stop accepting work; running sync tasks finish in the background (not waited for)."""
        self._threads.shutdown(wait=False, cancel_futures=True)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._loop_thread.join(timeout=2.0)
        if not self._loop.is_running():
            for task in asyncio.all_tasks(self._loop):
                task.cancel()
            self._loop.close()
