"""Settlement: send what became of a job (its reply, stream marker, dead letter or retry),
and tell the consumer thread how many acknowledgements the job's offset waits for."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from kafkatask.exceptions import EncodeError
from kafkatask.middleware.base import Outcome
from kafkatask.protocol import Attempt
from kafkatask.remote_errors import describe
from kafkatask.serialization import ValueCodec
from kafkatask.states import TaskState
from kafkatask.worker.dead_letters import DeadLetterWriter
from kafkatask.worker.duplicates import DuplicateFilter
from kafkatask.worker.events import EventPublisher, preview
from kafkatask.worker.job import Job
from kafkatask.worker.offsets import Receipt
from kafkatask.worker.replies import ReplySender
from kafkatask.worker.retrying import RetryPublisher
from kafkatask.worker.stats import WorkerStats
from kafkatask.worker.streaming import StreamWriter

_log = logging.getLogger("kafkatask.worker")

Owe = Callable[[Receipt, int], Callable[[], None]]
"""Declare that a receipt waits for n acknowledgements; returns the callable for each one."""


class Settlement:
    def __init__(
        self,
        *,
        values: ValueCodec,
        replies: ReplySender,
        retries: RetryPublisher,
        dead_letters: DeadLetterWriter,
        events: EventPublisher,
        stats: WorkerStats,
        owe: Owe,
        worker_id: str,
        duplicates: DuplicateFilter,
    ) -> None:
        self._worker_id = worker_id
        self._duplicates = duplicates
        self._values = values
        self._replies = replies
        self._retries = retries
        self._dead_letters = dead_letters
        self._events = events
        self._stats = stats
        self._owe = owe

    def settle(self, job: Job, outcome: Outcome, began: float, writer: StreamWriter | None) -> None:
        runtime = time.perf_counter() - began
        if outcome.kind == "success":
            outcome = self._success(job, outcome, runtime, writer)
            if outcome.kind == "success":
                return
        if outcome.kind == "retry":
            self._retry(job, outcome, runtime)
        else:
            self._failure(job, outcome, runtime, writer)

    def _success(
        self, job: Job, outcome: Outcome, runtime: float, writer: StreamWriter | None
    ) -> Outcome:
        try:
            tree = self._values.encode(outcome.value, f"the result of task {job.name}")
        except EncodeError as error:
            return Outcome("failure", error=error)
        except Exception as error:  # a value whose own conversion breaks (e.g. huge ints)
            return Outcome("failure", error=EncodeError(f"the result of task {job.name}: {error}"))
        acknowledge = self._owe(job.receipt, 2 if writer else 1)
        if writer is not None:
            writer.end(acknowledge)
        state, value = self._replies.final(
            job.message, TaskState.SUCCESS, acknowledge, result=tree, runtime=runtime
        )
        self._answer_duplicates(job, value)
        succeeded = state == TaskState.SUCCESS
        self._stats.finished(succeeded=succeeded)
        kind = "task-succeeded" if succeeded else "task-failed"
        self._events.task(
            kind, job.message, job.receipt, runtime=runtime, result=preview(outcome.value)
        )
        if _log.isEnabledFor(logging.INFO):
            _log.info("Task %s %s in %.4fs", job.label(), kind.removeprefix("task-"), runtime)
        return outcome

    def _failure(
        self, job: Job, outcome: Outcome, runtime: float, writer: StreamWriter | None
    ) -> None:
        assert outcome.error is not None
        info = describe(outcome.error)
        revoked = outcome.kind == "revoked"
        owed = 1 + (writer is not None) + outcome.dead_letter
        acknowledge = self._owe(job.receipt, owed)
        if writer is not None:
            writer.fail(info, acknowledge)
        if outcome.dead_letter:
            self._dead_letters.write(
                job.record,
                reason="retries-exhausted",
                error=info,
                message=job.message,
                attempts=[
                    *job.message.history,
                    Attempt(
                        retries=job.message.retries,
                        worker=self._worker_id,
                        error=info,
                        at=time.time(),
                    ),
                ],
                on_acked=acknowledge,
            )
        state = TaskState.REVOKED if revoked else TaskState.FAILURE
        _, value = self._replies.final(job.message, state, acknowledge, error=info, runtime=runtime)
        self._answer_duplicates(job, value)
        self._stats.finished(succeeded=False)
        event = "task-revoked" if revoked else "task-failed"
        self._events.task(event, job.message, job.receipt, runtime=runtime, error=info)
        if outcome.dead_letter:
            self._events.task("task-dead-lettered", job.message, job.receipt, error=info)
        _log.error(
            "Task %s %s: %s: %s",
            job.label(),
            "revoked" if revoked else "raised",
            info.type,
            info.message,
            exc_info=None if revoked else outcome.error,
        )

    def _answer_duplicates(self, job: Job, reply: bytes) -> None:
        """Copies of this task that arrived while it ran get its reply too (best effort)."""
        for duplicate in self._duplicates.finish(job.message, reply):
            if duplicate.reply_to is not None and duplicate.reply_to != job.message.reply_to:
                self._replies.resend(duplicate, reply, _nothing)

    def _retry(self, job: Job, outcome: Outcome, runtime: float) -> None:
        assert outcome.error is not None
        assert outcome.countdown is not None
        info = describe(outcome.error)
        failed = job.message
        if job.order_key is not None:
            # In place: a retry through a delay topic would let the key's later tasks overtake
            # it. The job keeps its key and its record, unacknowledged, until its final outcome
            # (after a crash the record runs again, from its first attempt).
            job.message = self._retries.next_attempt(job, outcome.countdown, info)
            job.retry_in_place = True
        else:
            self._retries.publish(job, outcome.countdown, info, self._owe(job.receipt, 1))
            self._duplicates.finish(failed, None)
        self._replies.state(failed, TaskState.RETRY, info)
        self._stats.retrying()
        self._events.task("task-retried", failed, job.receipt, runtime=runtime, error=info)
        _log.warning(
            "Task %s retry %d in %.1fs: %s: %s",
            job.label(),
            failed.retries + 1,
            outcome.countdown,
            info.type,
            info.message,
        )


def _nothing() -> None:
    """The acknowledgement of a reply nothing waits for."""
