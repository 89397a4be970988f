"""Job: one task request a worker accepted; BatchJob: several run with one `batch` call."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from langchain_core.runnables import RunnableConfig

from kafkatask.protocol import AnyHeaders, TaskMessage
from kafkatask.task import Task
from kafkatask.worker.offsets import Receipt


@dataclass(frozen=True, slots=True)
class RawRecord:
    """The consumed record as it was, for dead letters and replays."""

    topic: str
    partition: int
    offset: int
    value: bytes | None
    key: bytes | None
    headers: AnyHeaders | None
    timestamp: float = 0.0
    """When the producer created the record, in milliseconds since the epoch."""
    tie: int = 0
    """Its place among the records of its partition with the same timestamp (read_ahead.py)."""


@dataclass(slots=True, eq=False)
class Job:
    receipt: Receipt
    message: TaskMessage
    task: Task[Any, Any]
    args: list[Any]
    kwargs: dict[str, Any]
    record: RawRecord
    config: RunnableConfig | None = None
    received_at: float = field(default_factory=time.time)
    retry_in_place: bool = False
    """An ordered task's next attempt runs from this same job, holding its key (its record is
    acknowledged only with the final outcome), so later tasks of the key wait for it."""
    _settled: bool = False
    _released: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def id(self) -> str:
        return self.message.id

    @property
    def name(self) -> str:
        return self.message.task

    @property
    def key(self) -> bytes | None:
        return self.record.key

    @property
    def order_key(self) -> tuple[str, int, bytes] | None:
        """The key this job is serialized on, when its task is `ordered` and it has a key."""
        if self.key is None or not self.task.options.ordered:
            return None
        return (*self.receipt.tp, self.key)

    @property
    def runs_async(self) -> bool:
        # Events come from `astream_events`, which only exists on the event loop.
        return self.task.target.is_async or self.message.mode == "events"

    @property
    def batches(self) -> bool:
        """Whether this job waits to run together with others (micro-batching)."""
        return self.task.options.batch_size > 1 and self.message.mode == "invoke"

    def label(self) -> str:
        return f"{self.name}[{self.id}]"

    def claim_settlement(self) -> bool:
        """True exactly once: whoever gets it sends the job's outcome (a time limit may race
        the task itself)."""
        with self._lock:
            first, self._settled = not self._settled, True
            return first

    def claim_release(self) -> bool:
        """True exactly once: whoever gets it frees the job's slot."""
        with self._lock:
            first, self._released = not self._released, True
            return first

    def again(self) -> bool:
        """After the slot is released: whether the job runs again (a retry in place); if so,
        its next attempt can be settled and released again."""
        with self._lock:
            if not self.retry_in_place:
                return False
            self.retry_in_place = self._settled = self._released = False
            return True


@dataclass(slots=True, eq=False)
class BatchJob:
    """Invoke requests of one micro-batching task, run with a single `batch` call."""

    jobs: list[Job]

    @property
    def task(self) -> Task[Any, Any]:
        return self.jobs[0].task

    @property
    def runs_async(self) -> bool:
        return self.task.target.is_async

    def label(self) -> str:
        return f"{self.task.name}[batch of {len(self.jobs)}]"

    def claim_release(self) -> bool:
        return all([job.claim_release() for job in self.jobs])


Unit = Job | BatchJob
"""What occupies one execution slot."""
