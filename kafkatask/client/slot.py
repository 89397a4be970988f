"""ResultSlot: where one task's state and final result land, for sync and async waiters."""

from __future__ import annotations

import threading
from collections.abc import Callable

from kafkatask.client.waiters import AsyncWaiters, until_resolved, wake
from kafkatask.protocol import ErrorInfo, ResultMessage
from kafkatask.states import TaskState


class ResultSlot:
    """The latest known state of one task; becomes final once, later messages are duplicates."""

    __slots__ = (
        "_callbacks",
        "_done",
        "_lock",
        "_waiters",
        "duplicates",
        "id",
        "message",
        "state",
        "task",
    )

    def __init__(self, task_id: str, task: str | None) -> None:
        self.id = task_id
        self.task = task
        self.state = TaskState.PENDING
        self.message: ResultMessage | None = None
        self.duplicates = 0
        self._done = threading.Event()
        self._lock = threading.Lock()
        self._waiters = AsyncWaiters()
        self._callbacks: list[Callable[[], None]] = []

    def on_done(self, callback: Callable[[], None]) -> None:
        """Call `callback` once the task is final (at once if it already is)."""
        with self._lock:
            if not self._done.is_set():
                self._callbacks.append(callback)
                return
        callback()

    @property
    def done(self) -> bool:
        return self._done.is_set()

    def update(self, message: ResultMessage) -> bool:
        """Apply a state message; False when the task already finished (a duplicate)."""
        with self._lock:
            if self._done.is_set():
                self.duplicates += 1
                return False
            self.state = message.state
            self.task = self.task or message.task
            if not message.state.ready:
                return True
            self.message = message
            self._done.set()
            waiting = self._waiters.take()
            callbacks, self._callbacks = self._callbacks, []
        wake(waiting)
        for callback in callbacks:
            callback()
        return True

    def fail(self, error: ErrorInfo) -> None:
        """Finish the slot locally with a FAILURE (e.g. the request never reached the broker)."""
        message = ResultMessage(
            id=self.id, task=self.task or "?", state=TaskState.FAILURE, error=error
        )
        self.update(message)

    def wait(self, timeout: float | None) -> bool:
        return self._done.wait(timeout)

    async def wait_async(self, timeout: float | None) -> bool:
        with self._lock:
            if self._done.is_set():
                return True
            future = self._waiters.add()
        try:
            return await until_resolved(future, timeout)
        finally:
            with self._lock:
                self._waiters.discard(future)
