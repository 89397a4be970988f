"""TaskRunner: run one job (or one micro-batch) on the pool and answer its callers.

Three modes: "invoke" returns one result; "stream" sends each chunk to the caller's stream
partition, then the aggregated result; "events" forwards the Runnable's `astream_events`
(v2) the same way. The final reply and the end marker are what the offset commit waits for.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

from kafkatask.exceptions import EncodeError, TaskRevokedError
from kafkatask.kafka import MessageProducer
from kafkatask.protocol import ErrorInfo
from kafkatask.remote_errors import describe
from kafkatask.serialization import Codec, ValueCodec
from kafkatask.states import TaskState
from kafkatask.streaming import Aggregate
from kafkatask.targets import single_input
from kafkatask.worker.events import EventPublisher, preview
from kafkatask.worker.job import BatchJob, Job, Unit
from kafkatask.worker.replies import ReplySender
from kafkatask.worker.stats import WorkerStats
from kafkatask.worker.streaming import StreamWriter

_log = logging.getLogger("kafkatask.worker")


class TaskRunner:
    """Calls the task's target and sends the outcome; `on_finished` frees the slot."""

    def __init__(
        self,
        *,
        values: ValueCodec,
        replies: ReplySender,
        events: EventPublisher,
        stats: WorkerStats,
        producer: MessageProducer,
        codec: Codec,
        max_bytes: int,
        on_finished: Callable[[Unit], None],
        acknowledge: Callable[[Job], Callable[[], None]],
        post: Callable[[Callable[[], None]], None],
    ) -> None:
        self._values = values
        self._replies = replies
        self._events = events
        self._stats = stats
        self._producer = producer
        self._codec = codec
        self._max_bytes = max_bytes
        self._on_finished = on_finished
        self._acknowledge = acknowledge
        self._post = post

    # -- entry points ----------------------------------------------------------------------

    def run(self, unit: Unit) -> None:
        """Run on this (pool) thread."""
        try:
            if isinstance(unit, BatchJob):
                self._run_batch(unit)
            else:
                self._run_job(unit)
        finally:
            self._on_finished(unit)

    async def arun(self, unit: Unit) -> None:
        """Run on the pool's event loop."""
        try:
            if isinstance(unit, BatchJob):
                await self._arun_batch(unit)
            else:
                await self._arun_job(unit)
        finally:
            self._on_finished(unit)

    # -- one job -------------------------------------------------------------------------

    def _run_job(self, job: Job) -> None:
        began = self._begin(job)
        writer = self._writer(job)
        try:
            if writer is None:
                value = job.task.target.call(job.args, job.kwargs, job.config)
            else:
                writer.start()
                total = Aggregate()
                for chunk in job.task.target.stream(job.args, job.kwargs, job.config):
                    writer.chunk(chunk)
                    total.add(chunk)
                value = total.value
        except BaseException as error:  # reported to the caller, never lost
            self._fail(job, error, began, writer)
        else:
            self._succeed(job, value, began, writer)

    async def _arun_job(self, job: Job) -> None:
        began = self._begin(job)
        writer = self._writer(job)
        try:
            value = await self._acall(job, writer)
        except asyncio.CancelledError:
            cancelled = TaskRevokedError(f"task {job.label()} was cancelled")
            self._fail(job, cancelled, began, writer)
        except Exception as error:
            self._fail(job, error, began, writer)
        else:
            self._succeed(job, value, began, writer)

    async def _acall(self, job: Job, writer: StreamWriter | None) -> Any:
        target = job.task.target
        if writer is None:
            return await target.acall(job.args, job.kwargs, job.config)
        writer.start()
        if job.message.mode == "events":
            return await self._forward_events(job, writer)
        total = Aggregate()
        async for chunk in target.astream(job.args, job.kwargs, job.config):
            writer.chunk(chunk)
            total.add(chunk)
        return total.value

    async def _forward_events(self, job: Job, writer: StreamWriter) -> Any:
        runnable = job.task.target.as_runnable(job.args, job.kwargs)
        output = None
        events = runnable.astream_events(_event_input(job), job.config, version="v2")
        async for event in events:
            writer.raw_chunk(self._event_tree(event, job))
            if event["event"].endswith("_end") and not event.get("parent_ids"):
                output = event.get("data", {}).get("output")
        return output

    def _event_tree(self, event: Any, job: Job) -> Any:
        try:
            return self._values.encode(dict(event), f"an event of task {job.name}")
        except EncodeError:
            # An intermediate step may hold something without a wire form; show its repr.
            data = {key: preview(value) for key, value in dict(event.get("data", {})).items()}
            return self._values.encode({**dict(event), "data": data}, "event")

    # -- a micro-batch ---------------------------------------------------------------------

    def _run_batch(self, batch: BatchJob) -> None:
        began = [self._begin(job) for job in batch.jobs]
        try:
            outputs = batch.task.target.batch(*_batch_call(batch))
        except BaseException as error:  # every caller gets the error
            outputs = [error] * len(batch.jobs)
        self._settle_batch(batch, outputs, began)

    async def _arun_batch(self, batch: BatchJob) -> None:
        began = [self._begin(job) for job in batch.jobs]
        try:
            outputs = await batch.task.target.abatch(*_batch_call(batch))
        except Exception as error:
            outputs = [error] * len(batch.jobs)
        self._settle_batch(batch, outputs, began)

    def _settle_batch(self, batch: BatchJob, outputs: list[Any], began: list[float]) -> None:
        if len(outputs) != len(batch.jobs):
            wrong = ValueError(
                f"task {batch.task.name} returned {len(outputs)} results for a batch of "
                f"{len(batch.jobs)} inputs; a batching task returns one result per input"
            )
            outputs = [wrong] * len(batch.jobs)
        for job, output, start in zip(batch.jobs, outputs, began, strict=True):
            if isinstance(output, BaseException):
                self._fail(job, output, start, None)
            else:
                self._succeed(job, output, start, None)

    # -- shared ----------------------------------------------------------------------------

    def _writer(self, job: Job) -> StreamWriter | None:
        if job.message.mode == "invoke":
            return None
        return StreamWriter(
            self._producer,
            codec=self._codec,
            values=self._values,
            request=job.message,
            max_bytes=self._max_bytes,
            post=self._post,
        )

    def _begin(self, job: Job) -> float:
        self._stats.started()
        if job.message.track_started:
            self._replies.state(job.message, TaskState.STARTED)
        self._events.task("task-started", job.message, job.receipt)
        return time.perf_counter()

    def _succeed(self, job: Job, value: Any, began: float, writer: StreamWriter | None) -> None:
        runtime = time.perf_counter() - began
        try:
            tree = self._values.encode(value, f"the result of task {job.name}")
        except EncodeError as error:
            self._fail(job, error, began, writer)
            return
        if writer is not None:
            writer.end(self._acknowledge(job))
        self._replies.final(
            job.message, TaskState.SUCCESS, self._acknowledge(job), result=tree, runtime=runtime
        )
        self._stats.finished(succeeded=True)
        self._events.task(
            "task-succeeded", job.message, job.receipt, runtime=runtime, result=preview(value)
        )
        _log.info("Task %s succeeded in %.4fs", job.label(), runtime)

    def _fail(
        self, job: Job, error: BaseException, began: float, writer: StreamWriter | None
    ) -> None:
        runtime = time.perf_counter() - began
        info: ErrorInfo = describe(error)
        if writer is not None:
            writer.fail(info, self._acknowledge(job))
        state = TaskState.REVOKED if isinstance(error, TaskRevokedError) else TaskState.FAILURE
        self._replies.final(job.message, state, self._acknowledge(job), error=info, runtime=runtime)
        self._stats.finished(succeeded=False)
        self._events.task("task-failed", job.message, job.receipt, runtime=runtime, error=info)
        _log.error("Task %s raised %s: %s", job.label(), info.type, info.message, exc_info=error)


def _event_input(job: Job) -> Any:
    try:
        return single_input(job.args, job.kwargs)
    except TypeError:
        return {"args": job.args, "kwargs": job.kwargs}


def _batch_call(batch: BatchJob) -> tuple[list[Any], list[Any]]:
    inputs = [single_input(job.args, job.kwargs) for job in batch.jobs]
    configs = [job.config or {} for job in batch.jobs]
    return inputs, configs
