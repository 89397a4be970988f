"""ResultSlot: where one task's state and final result land, for sync and async waiters."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from kafkatask.client.waiters import AsyncWaiters, until_resolved, wake
from kafkatask.protocol import ErrorInfo, ResultMessage
from kafkatask.states import TaskState

_log = logging.getLogger("kafkatask.client")


class ResultSlot:
    """The latest known state of one task; becomes final once, later messages are duplicates.

    A client may hold tens of thousands of these at once (a burst of `delay()` calls), so a
    slot is a handful of fields: every slot of a client shares one Condition, and the async
    waiters and callbacks exist only once someone asks for them. (Each lock or event per slot
    made the garbage collector's full passes a third of the time of such a burst.)
    """

    __slots__ = (
        "_callbacks",
        "_changed",
        "_done",
        "_waiters",
        "duplicates",
        "floor",
        "id",
        "idle_since",
        "message",
        "released",
        "state",
        "task",
        "waiting",
    )

    def __init__(
        self, task_id: str, task: str | None, changed: threading.Condition, floor: int = 0
    ) -> None:
        self.id = task_id
        self.task = task
        self.state = TaskState.PENDING
        self.message: ResultMessage | None = None
        self.duplicates = 0
        self.floor = floor
        """An offset of the reply partition at or before the result: where to read it back."""
        self.waiting = 0
        """Callers waiting now (the router never releases a slot someone waits on)."""
        self.idle_since = time.monotonic()
        """When the last wait ended (or the slot was made)."""
        self.released = False
        """The router no longer routes the result here (result_wait_expiry): read it back."""
        self._changed = changed
        self._done = False
        self._waiters: AsyncWaiters | None = None
        self._callbacks: list[Callable[[], None]] | None = None

    def on_done(self, callback: Callable[[], None]) -> None:
        """Call `callback` once the task is final (at once if it already is).

        A callback waits as long as the result takes: its slot is never released."""
        with self._changed:
            if not self._done:
                self._callbacks = [*(self._callbacks or []), callback]
                return
        _call(callback, self.id)

    def release_if_idle(self, now: float, expiry: float) -> bool:
        """Mark the slot released when nobody has waited for its unfinished result for `expiry`
        seconds; True if it did. A wait that begins later returns at once (see `wait`)."""
        with self._changed:
            idle = not self.waiting and not self._callbacks and now - self.idle_since >= expiry
            if self._done or not idle:
                return False
            self.released = True
            return True

    @property
    def done(self) -> bool:
        return self._done

    def update(self, message: ResultMessage) -> bool:
        """Apply a state message; False when the task already finished (a duplicate)."""
        with self._changed:
            if self._done:
                self.duplicates += 1
                return False
            self.state = message.state
            self.task = self.task or message.task
            if not message.state.ready:
                return True
            self.message = message
            self._done = True
            self._changed.notify_all()
            waiting = self._waiters.take() if self._waiters else []
            callbacks, self._callbacks = self._callbacks or [], None
        wake(waiting)
        for callback in callbacks:
            _call(callback, self.id)
        return True

    def fail(self, error: ErrorInfo) -> None:
        """Finish the slot locally with a FAILURE (e.g. the request never reached the broker)."""
        message = ResultMessage(
            id=self.id, task=self.task or "?", state=TaskState.FAILURE, error=error
        )
        self.update(message)

    def wait(self, timeout: float | None) -> bool:
        with self._changed:
            self.waiting += 1
            try:
                self._changed.wait_for(lambda: self._done or self.released, timeout)
                return self._done
            finally:
                self.waiting -= 1
                self.idle_since = time.monotonic()

    async def wait_async(self, timeout: float | None) -> bool:
        with self._changed:
            if self._done or self.released:
                return self._done
            if self._waiters is None:
                self._waiters = AsyncWaiters()
            future = self._waiters.add()
            self.waiting += 1
        try:
            return await until_resolved(future, timeout)
        finally:
            with self._changed:
                self._waiters.discard(future)
                self.waiting -= 1
                self.idle_since = time.monotonic()


def _call(callback: Callable[[], None], task_id: str) -> None:
    """Run a caller's callback; its error is logged, never raised into the reply thread."""
    try:
        callback()
    except Exception:
        _log.exception("an on_ready callback of task %s raised", task_id)
