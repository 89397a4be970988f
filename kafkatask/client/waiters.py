"""AsyncWaiters: event-loop futures waiting for something a background thread will do."""

from __future__ import annotations

import asyncio
import contextlib


class AsyncWaiters:
    """Futures of (possibly several) event loops; the owner guards them with its own lock."""

    def __init__(self) -> None:
        self._waiting: list[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = []

    def add(self) -> asyncio.Future[None]:
        """A future on the running loop, resolved by the next `wake_all()`."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        self._waiting.append((loop, future))
        return future

    def discard(self, future: asyncio.Future[None]) -> None:
        self._waiting = [(loop, f) for loop, f in self._waiting if f is not future]

    def take(self) -> list[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]]:
        """Remove and return every waiter; wake them with `wake()` outside the lock."""
        waiting, self._waiting = self._waiting, []
        return waiting


def wake(waiting: list[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]]) -> None:
    for loop, future in waiting:
        # A loop closed since it started waiting has no one left to wake.
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(_resolve, future)


async def until_resolved(future: asyncio.Future[None], timeout: float | None) -> bool:
    """True when `future` resolved within `timeout`, False when the time ran out."""
    try:
        await asyncio.wait_for(asyncio.shield(future), timeout)
    except TimeoutError:
        return False
    return True


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)
