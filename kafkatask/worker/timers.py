"""TimerQueue: one thread that calls functions at given times (rate limits, time limits)."""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable

_log = logging.getLogger("kafkatask.worker")
_LONGEST = min(threading.TIMEOUT_MAX, 3600.0)


class Timer:
    """A scheduled call; `cancel()` before it is due and it never runs."""

    __slots__ = ("_cancelled",)

    def __init__(self) -> None:
        self._cancelled = False

    def cancel(self) -> None:
        self._cancelled = True


class TimerQueue:
    def __init__(self, name: str = "kafkatask-timers") -> None:
        self._heap: list[tuple[float, int, Timer, Callable[[], None]]] = []
        self._order = itertools.count()
        self._condition = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def call_later(self, delay: float, action: Callable[[], None]) -> Timer:
        return self.call_at(time.monotonic() + delay, action)

    def call_at(self, when: float, action: Callable[[], None]) -> Timer:
        """Run `action` on the timer thread at monotonic time `when`."""
        timer = Timer()
        with self._condition:
            heapq.heappush(self._heap, (when, next(self._order), timer, action))
            self._condition.notify()
        return timer

    def close(self) -> None:
        with self._condition:
            self._closed = True
            self._condition.notify()
        self._thread.join(timeout=2.0)

    def _run(self) -> None:
        while True:
            with self._condition:
                while not self._closed and (not self._heap or self._heap[0][0] > time.monotonic()):
                    wait = self._heap[0][0] - time.monotonic() if self._heap else None
                    # Beyond TIMEOUT_MAX, Condition.wait raises instead of waiting.
                    self._condition.wait(None if wait is None else min(wait, _LONGEST))
                if self._closed:
                    return
                _, _, timer, action = heapq.heappop(self._heap)
            if timer._cancelled:
                continue
            try:
                action()
            except Exception:  # one failing timer must not stop the others
                _log.exception("a timer action failed")
