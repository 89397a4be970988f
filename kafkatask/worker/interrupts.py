"""RunningTask: a handle to interrupt a task that is running (time limits, revoke terminate).

`interrupt(error)` raises `error` inside the task, where it can be caught:
- a sync task gets it in its thread at the next Python instruction (a thread blocked inside a
  C call, such as a long `time.sleep` or a socket read, gets it when that call returns);
- an async task gets it at the `await` it is suspended in.
`abandon(error)` gives up on the task: its caller gets `error` now and its slot is freed; a sync
task that is still running finishes in the background and its outcome is dropped.
"""

from __future__ import annotations

import asyncio
import ctypes
import threading
from collections.abc import Callable, Coroutine, Generator
from typing import Any, Generic, Protocol, TypeVar

T = TypeVar("T")


class RunningTask(Protocol):
    def interrupt(self, error: type[BaseException]) -> None: ...

    def abandon(self, error: BaseException) -> None: ...


class ThreadTask:
    """A task running on a pool thread."""

    def __init__(self, abandon: Callable[[BaseException], None]) -> None:
        self._thread_id = threading.get_ident()
        self._abandon = abandon
        self._lock = threading.Lock()
        self._running = True
        self._raised = False

    def interrupt(self, error: type[BaseException]) -> None:
        with self._lock:
            if self._running:
                self._raised = True
                _raise_in_thread(self._thread_id, error)

    def abandon(self, error: BaseException) -> None:
        self.interrupt(type(error))
        self._abandon(error)

    def finished(self) -> None:
        """The task returned: nothing may be raised in this thread on its behalf any more."""
        with self._lock:
            self._running = False
            if self._raised:  # one may still be pending: it must not hit the next task
                _raise_in_thread(self._thread_id, None)


def _raise_in_thread(thread_id: int, error: type[BaseException] | None) -> None:
    # CPython's documented way to raise in another thread; None clears a pending exception.
    ctypes.pythonapi.PyThreadState_SetAsyncExc(
        ctypes.c_ulong(thread_id), ctypes.py_object(error) if error else ctypes.c_void_p(0)
    )


class CoroutineTask:
    """A task running on the pool's event loop, driven through an `Interruptible`."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        driver: Interruptible[Any],
        abandon: Callable[[BaseException], None],
    ) -> None:
        self._loop = loop
        self._driver = driver
        self._abandon = abandon
        self._task = asyncio.current_task()

    def interrupt(self, error: type[BaseException]) -> None:
        self._loop.call_soon_threadsafe(self._interrupt, error)

    def abandon(self, error: BaseException) -> None:
        self._abandon(error)
        if self._task is not None:
            self._loop.call_soon_threadsafe(self._task.cancel)

    def _interrupt(self, error: type[BaseException]) -> None:
        if self._task is not None and not self._task.done():
            self._driver.throw_later(error)
            self._task.cancel()


class Interruptible(Generic[T]):
    """Awaits a coroutine and can make an exception of our choosing appear inside it.

    asyncio can only wake a suspended task by cancelling it; this driver catches that
    cancellation and throws the chosen exception into the coroutine instead, so the task sees
    a SoftTimeLimitExceeded (say) where it awaits, and can handle it like any other error.
    """

    def __init__(self, coroutine: Coroutine[Any, Any, T]) -> None:
        self._coroutine = coroutine
        self._pending: type[BaseException] | None = None

    def throw_later(self, error: type[BaseException]) -> None:
        self._pending = error

    def __await__(self) -> Generator[Any, Any, T]:
        send: Any = None
        throw: BaseException | None = None
        while True:
            try:
                step = self._coroutine.throw(throw) if throw else self._coroutine.send(send)
            except StopIteration as done:
                return done.value  # type: ignore[no-any-return]
            try:
                send, throw = (yield step), None
            except asyncio.CancelledError as cancelled:
                send, throw = None, self._take_pending(cancelled)
            except BaseException as error:  # forwarded into the coroutine, as asyncio would
                send, throw = None, error

    def _take_pending(self, cancelled: asyncio.CancelledError) -> BaseException:
        if self._pending is None:
            return cancelled
        error, self._pending = self._pending, None
        task = asyncio.current_task()
        if task is not None:
            task.uncancel()  # the cancellation was only our way to wake it
        return error()
