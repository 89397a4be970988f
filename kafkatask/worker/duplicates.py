"""DuplicateFilter: the same task id sent twice runs once within a window.

A client that retries a send after a timeout re-sends the same task id; both records land on
the same partition (the task id is the record key when there is no other key), so the worker
that owns it sees both. The second one is not run: if the first is still running, its caller
is answered with the first one's result when it comes; if the first already finished, with
that result at once. Retries and dead-letter replays are not duplicates: the key is
(task id, replays, retries). The window lives in the worker's memory (the encoded final reply
per task, one bytes object, so a full window costs the garbage collector little); a partition
that moves to another worker between the two sends may run the task twice (at-least-once
still holds).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from kafkatask.protocol import TaskMessage

Key = tuple[str, int, int]


class _Entry:
    __slots__ = ("done", "held", "reply", "seen_at", "waiting")

    def __init__(self, seen_at: float) -> None:
        self.seen_at = seen_at
        self.done = False
        """The first copy finished (with `reply`, or None when it was retried)."""
        self.reply: bytes | None = None
        self.waiting: list[TaskMessage] | None = None
        self.held: list[Callable[[], None]] = []

    def release(self) -> None:
        held, self.held = self.held, []
        for release in held:
            release()


class DuplicateFilter:
    """Args:
    window: seconds a task id is remembered (0: no filter).
    capacity: the most task ids remembered.
    max_bytes: the most reply bytes kept; beyond it the oldest ids are forgotten first
        (a copy of a forgotten id runs again: at-least-once still holds), so large
        results cannot make a worker's memory grow with the window.
    """

    def __init__(self, window: float, capacity: int = 100_000, max_bytes: int = 1 << 25) -> None:
        self._window = window
        self._capacity = capacity
        self._max_bytes = max_bytes
        self._bytes = 0
        self._entries: OrderedDict[Key, _Entry] = OrderedDict()
        self._lock = threading.Lock()

    def check(self, message: TaskMessage) -> tuple[bool, bytes | None]:
        """(is a duplicate, the first one's encoded final reply if it already has one).

        A duplicate without a reply yet is remembered and returned by `finish` later.
        """
        if self._window <= 0:
            return False, None
        key = _key(message)
        now = time.monotonic()
        with self._lock:
            self._expire(now)
            entry = self._entries.get(key)
            if entry is None:
                self._entries[key] = _Entry(now)
                if len(self._entries) > self._capacity:
                    self._drop_oldest()
                return False, None
            if not entry.done:
                entry.waiting = [*(entry.waiting or []), message]
            return True, entry.reply

    def hold(self, message: TaskMessage, release: Callable[[], None]) -> bool:
        """Call `release` once the first copy of `message` is done; False when it already is.

        A duplicate's record must not be committed while the first copy still runs: if the
        first copy's record was from an earlier assignment of the partition (it kept running
        through a rebalance), a crash would otherwise lose the task.
        """
        with self._lock:
            entry = self._entries.get(_key(message))
            if entry is None or entry.done:
                return False
            entry.held.append(release)
            return True

    def finish(self, message: TaskMessage, reply: bytes | None) -> list[TaskMessage]:
        """The first one's encoded final reply (None when it was retried); returns the
        duplicates that were waiting for it."""
        with self._lock:
            entry = self._entries.get(_key(message))
            if entry is None or entry.done:
                return []
            entry.done, entry.reply = True, reply
            self._bytes += len(reply or b"")
            waiting, entry.waiting = entry.waiting or [], None
            while self._bytes > self._max_bytes and self._entries:
                self._drop_oldest()
        entry.release()
        return waiting

    def kept_bytes(self) -> int:
        with self._lock:
            return self._bytes

    def forget(self, message: TaskMessage) -> None:
        """The first one was abandoned (its arguments did not decode): a later copy must run."""
        with self._lock:
            entry = self._entries.pop(_key(message), None)
            if entry is not None:
                self._bytes -= len(entry.reply or b"")
        if entry is not None:
            entry.release()

    def _expire(self, now: float) -> None:
        while self._entries:
            _, oldest = next(iter(self._entries.items()))
            if now - oldest.seen_at < self._window:
                return
            self._drop_oldest()

    def _drop_oldest(self) -> None:
        _, oldest = self._entries.popitem(last=False)
        self._bytes -= len(oldest.reply or b"")
        oldest.release()


def _key(message: TaskMessage) -> Key:
    return (message.id, message.replays, message.retries)
