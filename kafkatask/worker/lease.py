"""AssignmentLease: whether the worker can still vouch that it owns its partitions.

A consumer group takes a member's partitions away when it has not heard from the member for the
session timeout. A worker whose process was frozen (SIGSTOP, a VM pause, a long GC pause) for
longer than that wakes up still holding jobs, and librdkafka tells it of the loss only at its
next heartbeat, after pool threads could already have started those jobs, stale ones, that
another worker has meanwhile run or is running (per-key order broken, work done twice).

So the consumer thread renews this lease at every step, and only a thread that ran without a
gap can renew it. After a gap longer than `window` (well under the session timeout) the lease is
suspended: nothing held starts, nothing is committed, until the worker has asked the group
coordinator whether its membership still stands (`Worker._confirm_assignment`) and confirmed it.
"""

from __future__ import annotations

import time
from collections.abc import Callable


def _boot_clock() -> float:
    # CLOCK_BOOTTIME also counts time the machine was suspended; CLOCK_MONOTONIC does not.
    return time.clock_gettime(time.CLOCK_BOOTTIME)


_CLOCK: Callable[[], float] = _boot_clock if hasattr(time, "CLOCK_BOOTTIME") else time.monotonic


class AssignmentLease:
    """Renewed by the consumer thread at every step; read by every thread that starts a job.

    Args:
        window: the longest gap between two renewals after which the worker no longer vouches
            for its assignment (half the session timeout: a member is only dropped after a
            whole session timeout without a heartbeat).
        clock: seconds, for tests.
    """

    def __init__(self, window: float, clock: Callable[[], float] = _CLOCK) -> None:
        self.window = window
        self._clock = clock
        self._renewed = clock()
        self._confirmed = True

    def vouched(self) -> bool:
        """Whether a job held now may start (any thread)."""
        return self._confirmed and self._clock() - self._renewed <= self.window

    def renew(self) -> bool:
        """The consumer thread is alive: extend the lease, unless it ran out since the last
        renewal; then suspend it and return False (confirm the assignment before going on)."""
        now = self._clock()
        if self._confirmed and now - self._renewed <= self.window:
            self._renewed = now
            return True
        self._confirmed = False
        return False

    def gap(self) -> float:
        """Seconds since the last renewal."""
        return self._clock() - self._renewed

    def confirm(self) -> None:
        """The group coordinator accepted this member's commit: vouch again from now."""
        self._renewed = self._clock()
        self._confirmed = True
