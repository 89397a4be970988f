"""TaskRunner: run one job (or one micro-batch) on the pool, through the middleware.

Three modes: "invoke" returns one result; "stream" sends each chunk to the caller's stream
partition, then the aggregated result; "events" forwards the Runnable's `astream_events`
(v2) the same way. What becomes of the run (success, failure, retry, revoked) goes through the
middleware's `after_run`, then Settlement sends it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

from kafkatask.context import BoundTask, DeliveryInfo, Request
from kafkatask.exceptions import EncodeError, TaskRevokedError
from kafkatask.middleware.base import Outcome
from kafkatask.serialization import Codec, ValueCodec
from kafkatask.states import TaskState
from kafkatask.streaming import Aggregate
from kafkatask.targets import single_input
from kafkatask.worker.events import EventPublisher, preview
from kafkatask.worker.intake import expired
from kafkatask.worker.interrupts import CoroutineTask, Interruptible, ThreadTask
from kafkatask.worker.job import BatchJob, Job, Unit
from kafkatask.worker.outbox import Outbox
from kafkatask.worker.replies import ReplySender
from kafkatask.worker.settlement import Settlement
from kafkatask.worker.stack import MiddlewareStack
from kafkatask.worker.stats import WorkerStats
from kafkatask.worker.streaming import StreamWriter

_log = logging.getLogger("kafkatask.worker")


class TaskRunner:
    """Calls the task's target; `release` frees the job's slot once, whoever gets there first."""

    def __init__(
        self,
        *,
        worker_id: str,
        values: ValueCodec,
        replies: ReplySender,
        events: EventPublisher,
        stats: WorkerStats,
        stack: MiddlewareStack,
        settlement: Settlement,
        outbox: Outbox,
        codec: Codec,
        max_bytes: int,
        release: Callable[[Unit], None],
    ) -> None:
        self._worker_id = worker_id
        self._values = values
        self._replies = replies
        self._events = events
        self._stats = stats
        self._stack = stack
        self._settlement = settlement
        self._outbox = outbox
        self._codec = codec
        self._max_bytes = max_bytes
        self._release = release
        self.running: dict[str, ThreadTask | CoroutineTask] = {}
        """Running tasks by id, for `revoke(terminate=True)`."""

    # -- entry points ----------------------------------------------------------------------

    def run(self, unit: Unit) -> None:
        """Run on this (pool) thread."""
        if isinstance(unit, BatchJob):
            self._run_batch(unit)
        else:
            self._run_job(unit)

    async def arun(self, unit: Unit) -> None:
        """Run on the pool's event loop."""
        if isinstance(unit, BatchJob):
            await self._arun_batch(unit)
        else:
            await self._arun_job(unit)

    # -- one job -------------------------------------------------------------------------

    def _run_job(self, job: Job) -> None:
        began = self._begin(job)
        writer = self._writer(job)
        task = ThreadTask(
            abandon=lambda error: self._finish(job, _outcome_of(error), began, writer)
        )
        self.running[job.id] = task
        try:
            _still_wanted(job)
            self._stack.before_run(job)
            self._stack.running(job, task)
            try:
                value = self._call(job, writer)
            finally:
                task.finished()
            outcome = Outcome("success", value=value)
        except BaseException as error:  # reported to the caller, never lost
            outcome = _outcome_of(error)
        self._stack.after_running(job)
        self._finish(job, outcome, began, writer)

    def _call(self, job: Job, writer: StreamWriter | None) -> Any:
        target, context = job.task.target, self._context(job)
        if writer is None:
            return target.call(job.args, job.kwargs, job.config, context)
        writer.start()
        total = Aggregate()
        for chunk in target.stream(job.args, job.kwargs, job.config, context):
            writer.chunk(chunk)
            total.add(chunk)
        return total.value

    async def _arun_job(self, job: Job) -> None:
        began = self._begin(job)
        writer = self._writer(job)
        driver = Interruptible(self._acall(job, writer))
        task = CoroutineTask(
            asyncio.get_running_loop(),
            driver,
            abandon=lambda error: self._finish(job, _outcome_of(error), began, writer),
        )
        self.running[job.id] = task
        try:
            _still_wanted(job)
            self._stack.before_run(job)
            self._stack.running(job, task)
            outcome = Outcome("success", value=await driver)
        except BaseException as error:  # including cancellation: a revoke, or a time limit
            outcome = _outcome_of(error)
        self._stack.after_running(job)
        self._finish(job, outcome, began, writer)

    async def _acall(self, job: Job, writer: StreamWriter | None) -> Any:
        target, context = job.task.target, self._context(job)
        if writer is None:
            return await target.acall(job.args, job.kwargs, job.config, context)
        writer.start()
        if job.message.mode == "events":
            return await self._forward_events(job, writer)
        total = Aggregate()
        async for chunk in target.astream(job.args, job.kwargs, job.config, context):
            writer.chunk(chunk)
            total.add(chunk)
        return total.value

    async def _forward_events(self, job: Job, writer: StreamWriter) -> Any:
        runnable = job.task.target.as_runnable(job.args, job.kwargs)
        output = None
        async for event in runnable.astream_events(_event_input(job), job.config, version="v2"):
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
        began, ready = self._begin_batch(batch)
        if ready:
            task = ThreadTask(abandon=lambda error: None)
            self._batch_running(ready, task, began)
            try:
                outputs = ready[0].task.target.batch(*_batch_call(ready))
            except BaseException as error:  # every caller of the batch gets the error
                outputs = [error] * len(ready)
            finally:
                task.finished()
            self._settle_batch(ready, outputs, began)
        self._release(batch)

    async def _arun_batch(self, batch: BatchJob) -> None:
        began, ready = self._begin_batch(batch)
        if ready:
            driver = Interruptible(ready[0].task.target.abatch(*_batch_call(ready)))
            task = CoroutineTask(asyncio.get_running_loop(), driver, abandon=lambda error: None)
            self._batch_running(ready, task, began)
            try:
                outputs = await driver
            except BaseException as error:  # including a cancellation by a time limit
                outputs = [error] * len(ready)
            self._settle_batch(ready, outputs, began)
        self._release(batch)

    def _batch_running(
        self, jobs: list[Job], task: ThreadTask | CoroutineTask, began: dict[int, float]
    ) -> None:
        """The middleware sees every job of the batch run (time limits, metrics).

        A job whose time limit passes is answered at once; the batch call itself goes on, and
        its late outcome for that job is dropped.
        """
        for job in jobs:
            self._stack.running(job, _BatchMember(self, job, task, began[id(job)]))

    def _begin_batch(self, batch: BatchJob) -> tuple[dict[int, float], list[Job]]:
        began: dict[int, float] = {}
        ready = []
        for job in batch.jobs:
            began[id(job)] = self._begin(job)
            try:
                _still_wanted(job)
                # A request that is not one input fails alone, not the whole batch call.
                single_input(job.args, job.kwargs)
                self._stack.before_run(job)
            except Exception as error:
                self._finish(job, _outcome_of(error), began[id(job)], None, release=False)
            else:
                ready.append(job)
        return began, ready

    def _settle_batch(self, jobs: list[Job], outputs: list[Any], began: dict[int, float]) -> None:
        for job in jobs:
            self._stack.after_running(job)
        if len(outputs) != len(jobs):
            wrong = ValueError(
                f"task {jobs[0].task.name} returned {len(outputs)} results for a batch of "
                f"{len(jobs)} inputs; a batching task returns one result per input"
            )
            outputs = [wrong] * len(jobs)
        for job, output in zip(jobs, outputs, strict=True):
            outcome = (
                _outcome_of(output)
                if isinstance(output, BaseException)
                else Outcome("success", value=output)
            )
            self._finish(job, outcome, began[id(job)], None, release=False)

    # -- shared ----------------------------------------------------------------------------

    def _finish(
        self,
        job: Job,
        outcome: Outcome,
        began: float,
        writer: StreamWriter | None,
        *,
        release: bool = True,
    ) -> None:
        """Settle the job's outcome and free its slot, each exactly once."""
        try:
            if job.claim_settlement():
                self.running.pop(job.id, None)
                self._settle(job, self._stack.after_run(job, outcome), began, writer)
        finally:
            if release:
                self._release(job)

    def _settle(
        self, job: Job, outcome: Outcome, began: float, writer: StreamWriter | None
    ) -> None:
        try:
            self._settlement.settle(job, outcome, began, writer)
        except Exception as error:  # a bug in settling: the caller still gets an answer
            _log.exception("settling %s failed", job.label())
            self._settlement.settle(job, Outcome("failure", error=error), began, None)

    def _writer(self, job: Job) -> StreamWriter | None:
        if job.message.mode == "invoke":
            return None
        return StreamWriter(
            self._outbox,
            codec=self._codec,
            values=self._values,
            request=job.message,
            max_bytes=self._max_bytes,
        )

    def _context(self, job: Job) -> BoundTask | None:
        if not job.task.options.bind:
            return None
        record = job.record
        request = Request(
            id=job.id,
            task=job.name,
            args=job.args,
            kwargs=job.kwargs,
            retries=job.message.retries,
            queue=job.message.queue,
            headers=job.message.headers,
            eta=job.message.eta,
            expires=job.message.expires_at,
            hostname=self._worker_id,
            delivery_info=DeliveryInfo(
                topic=record.topic,
                partition=record.partition,
                offset=record.offset,
                key=record.key.decode(errors="replace") if record.key else None,
            ),
            origin=job.message.origin,
        )
        return BoundTask(job.task, request)

    def _begin(self, job: Job) -> float:
        self._stats.started()
        if job.message.track_started:
            self._replies.state(job.message, TaskState.STARTED)
        self._events.task("task-started", job.message, job.receipt)
        return time.perf_counter()


class _BatchMember:
    """One job's view of a batch call: interrupting it interrupts the call; abandoning it
    answers this job at once and interrupts the call (which keeps its slot until it returns)."""

    def __init__(
        self, runner: TaskRunner, job: Job, call: ThreadTask | CoroutineTask, began: float
    ) -> None:
        self._runner = runner
        self._job = job
        self._call = call
        self._began = began

    def interrupt(self, error: type[BaseException]) -> None:
        self._call.interrupt(error)

    def abandon(self, error: BaseException) -> None:
        self._runner._finish(self._job, _outcome_of(error), self._began, None, release=False)
        self._call.interrupt(type(error))


def _still_wanted(job: Job) -> None:
    """A job that waited (for its eta, a slot, a rate limit) may have expired meanwhile."""
    reason = expired(job.message)
    if reason is not None:
        raise TaskRevokedError(reason)


def _outcome_of(error: BaseException) -> Outcome:
    if isinstance(error, asyncio.CancelledError):
        return Outcome("revoked", error=TaskRevokedError("the task was cancelled"))
    if isinstance(error, TaskRevokedError):
        return Outcome("revoked", error=error)
    return Outcome("failure", error=error)


def _event_input(job: Job) -> Any:
    try:
        return single_input(job.args, job.kwargs)
    except TypeError:
        return {"args": job.args, "kwargs": job.kwargs}


def _batch_call(jobs: list[Job]) -> tuple[list[Any], list[Any]]:
    inputs = [single_input(job.args, job.kwargs) for job in jobs]
    configs = [job.config or {} for job in jobs]
    return inputs, configs
