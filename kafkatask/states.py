"""Task states, as seen on a result handle and in events."""

from __future__ import annotations

from enum import StrEnum


class TaskState(StrEnum):
    PENDING = "PENDING"
    """Sent (or unknown to this client); no worker has reported on it yet."""
    RECEIVED = "RECEIVED"
    """A worker took the message off its queue and will run it."""
    STARTED = "STARTED"
    """A worker is running it."""
    RETRY = "RETRY"
    """It failed and will run again after a delay."""
    SUCCESS = "SUCCESS"
    """It finished and returned a result."""
    FAILURE = "FAILURE"
    """It raised, or could not run at all; the error says why."""
    REVOKED = "REVOKED"
    """It was cancelled or expired before it could finish."""

    @property
    def ready(self) -> bool:
        """True for the final states, after which nothing about the task changes."""
        return self in READY_STATES


READY_STATES = frozenset({TaskState.SUCCESS, TaskState.FAILURE, TaskState.REVOKED})
