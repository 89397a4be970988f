"""TaskRunner: run one job on the pool and answer its caller."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

from kafkatask.exceptions import EncodeError, TaskRevokedError
from kafkatask.protocol import ErrorInfo
from kafkatask.remote_errors import describe
from kafkatask.serialization import ValueCodec
from kafkatask.states import TaskState
from kafkatask.worker.events import EventPublisher, preview
from kafkatask.worker.job import Job
from kafkatask.worker.replies import ReplySender
from kafkatask.worker.stats import WorkerStats

_log = logging.getLogger("kafkatask.worker")


class TaskRunner:
    """Calls the task's target and sends the outcome; `on_finished` frees the job's slot."""

    def __init__(
        self,
        *,
        values: ValueCodec,
        replies: ReplySender,
        events: EventPublisher,
        stats: WorkerStats,
        on_finished: Callable[[Job], None],
        acknowledge: Callable[[Job], Callable[[], None]],
    ) -> None:
        self._values = values
        self._replies = replies
        self._events = events
        self._stats = stats
        self._on_finished = on_finished
        self._acknowledge = acknowledge

    def run(self, job: Job) -> None:
        """Run a job on this (pool) thread."""
        began = self._begin(job)
        try:
            value = job.task.target.call(job.args, job.kwargs, job.config)
        except BaseException as error:
            self._fail(job, error, began)
        else:
            self._succeed(job, value, began)
        finally:
            self._on_finished(job)

    async def arun(self, job: Job) -> None:
        """Run a job on the pool's event loop."""
        began = self._begin(job)
        try:
            value = await job.task.target.acall(job.args, job.kwargs, job.config)
        except asyncio.CancelledError:
            self._fail(job, TaskRevokedError(f"task {job.label()} was cancelled"), began)
        except Exception as error:
            self._fail(job, error, began)
        else:
            self._succeed(job, value, began)
        finally:
            self._on_finished(job)

    def _begin(self, job: Job) -> float:
        self._stats.started()
        if job.message.track_started:
            self._replies.state(job.message, TaskState.STARTED)
        self._events.task("task-started", job.message, job.receipt)
        return time.perf_counter()

    def _succeed(self, job: Job, value: Any, began: float) -> None:
        runtime = time.perf_counter() - began
        try:
            tree = self._values.encode(value, f"the result of task {job.name}")
        except EncodeError as error:
            self._fail(job, error, began)
            return
        self._replies.final(
            job.message, TaskState.SUCCESS, self._acknowledge(job), result=tree, runtime=runtime
        )
        self._stats.finished(succeeded=True)
        self._events.task(
            "task-succeeded", job.message, job.receipt, runtime=runtime, result=preview(value)
        )
        _log.info("Task %s succeeded in %.4fs", job.label(), runtime)

    def _fail(self, job: Job, error: BaseException, began: float) -> None:
        runtime = time.perf_counter() - began
        info: ErrorInfo = describe(error)
        state = TaskState.REVOKED if isinstance(error, TaskRevokedError) else TaskState.FAILURE
        self._replies.final(job.message, state, self._acknowledge(job), error=info, runtime=runtime)
        self._stats.finished(succeeded=False)
        self._events.task("task-failed", job.message, job.receipt, runtime=runtime, error=info)
        _log.error("Task %s raised %s: %s", job.label(), info.type, info.message, exc_info=error)
