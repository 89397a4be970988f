"""Dispatcher: start admitted jobs while slots are free; a finishing job starts the next.

Thread-safe: the consumer thread admits jobs, pool threads release them, and the next job
starts right there on the releasing thread, without a round trip through the consumer loop.
A job that must wait before it starts (a rate limit) waits on the worker's timer, not in a slot.
Nothing starts while the worker cannot vouch for its assignment (lease.py): a job that reaches a
pool thread then goes back to the front of the ready queue, and `resume` starts it once the
assignment is confirmed.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Coroutine
from typing import Any, Protocol

from kafkatask.worker.batching import BatchCollector
from kafkatask.worker.job import BatchJob, Job, Unit
from kafkatask.worker.keyed import KeyedQueue
from kafkatask.worker.lease import AssignmentLease
from kafkatask.worker.pool import ExecutionPool
from kafkatask.worker.ready_queue import ReadyQueue
from kafkatask.worker.stack import MiddlewareStack
from kafkatask.worker.timers import TimerQueue


class Runner(Protocol):
    def run(self, unit: Unit) -> None: ...

    def arun(self, unit: Unit) -> Coroutine[Any, Any, None]: ...


class Dispatcher:
    def __init__(
        self,
        concurrency: int,
        pool: ExecutionPool,
        stack: MiddlewareStack,
        timers: TimerQueue,
        lease: AssignmentLease,
        *,
        on_idle: Callable[[], None] = lambda: None,
    ) -> None:
        self.concurrency = concurrency
        self._on_idle = on_idle
        """Called on the thread that finished the last running unit, when nothing is ready."""
        self._pool = pool
        self._stack = stack
        self._timers = timers
        self._lease = lease
        self._runner: Runner | None = None
        self._lock = threading.Lock()
        self._ready = ReadyQueue()
        self._keyed: KeyedQueue[Job] = KeyedQueue()
        self._waiting: set[Job] = set()
        self._holding: set[Job] = set()
        """Waiting jobs that hold their key (ordered: waiting for an eta, a rate limit or a
        retry in place)."""
        self._batches = BatchCollector(self._enqueue)
        self._running = 0
        self.room = threading.Event()
        """Set whenever a slot frees, so a paused consumer loop can resume at once."""

    def bind(self, runner: Runner) -> None:
        self._runner = runner

    def admit(self, job: Job) -> None:
        if job.order_key is not None:
            # Its key first, then its eta or rate limit: a later job of the key must not
            # overtake it while it waits.
            with self._lock:
                if not self._keyed.admit(job):
                    return  # it waits behind its key; `_with_key` when the key reaches it
            self._with_key(job)
            return
        wait = self._wait_before(job)
        if wait > 0:
            with self._lock:
                self._waiting.add(job)
            self._timers.call_later(wait, lambda: self._after_wait(job))
            return
        self._place(job)

    def _wait_before(self, job: Job) -> float:
        """Seconds `job` must wait: for its rate limit, or its eta (a task due in less than the
        smallest delay bucket comes straight to its queue and waits here, a second or so)."""
        due_in = job.message.eta - time.time() if job.message.eta is not None else 0.0
        return max(self._stack.before_start(job), due_in)

    def _with_key(self, job: Job) -> None:
        """An ordered job that holds its key: wait for its eta or rate limit, then get ready."""
        wait = self._wait_before(job)
        with self._lock:
            if wait > 0:
                self._waiting.add(job)
                self._holding.add(job)
                starting: list[Unit] = []
            else:
                self._ready.push(job)
                starting = self._take_startable()
        if wait > 0:
            self._timers.call_later(wait, lambda: self._after_wait(job))
        self._start(starting)

    def release(self, unit: Unit) -> None:
        """`unit` no longer needs its slot (called once per unit, by whoever finishes it)."""
        if not unit.claim_release():
            return
        again = isinstance(unit, Job) and unit.again()
        with self._lock:
            self._running -= 1
            following = None
            if isinstance(unit, Job) and not again:
                following = self._keyed.release(unit)
            starting = self._take_startable()
            idle = self._running == 0 and not self._ready and not again and following is None
        self.room.set()
        self._start(starting)
        if again:
            # An ordered task retried in place (settlement.py) keeps its key while it waits.
            assert isinstance(unit, Job)
            self._with_key(unit)
        if following is not None:
            self._with_key(following)
        if idle:
            self._on_idle()

    def resume(self) -> None:
        """Start what is ready: the lease was confirmed after starts were held back."""
        with self._lock:
            starting = self._take_startable()
        self._start(starting)

    def held(self) -> int:
        """Jobs in memory: running, ready for a slot, waiting (key, rate limit, batch)."""
        with self._lock:
            queued = self._ready.jobs()
            waiting = self._keyed.waiting() + len(self._waiting)
            in_memory = self._running + queued + waiting
        return in_memory + self._batches.held()

    def running(self) -> int:
        with self._lock:
            return self._running

    def drop(self, partitions: set[tuple[str, int]] | None = None) -> list[Job]:
        """Take back the jobs that have not started (of these partitions, or all of them)."""
        return self._take_back(lambda job: partitions is None or job.receipt.tp in partitions)

    def drop_ids(self, task_ids: set[str]) -> list[Job]:
        """Take back the jobs of these tasks that have not started (revoked)."""
        return self._take_back(lambda job: job.id in task_ids)

    def close(self) -> None:
        self._batches.close()

    def _take_back(self, leaving: Callable[[Job], bool]) -> list[Job]:
        dropped = self._batches.drop(leaving)
        handed_on: list[Job] = []
        with self._lock:
            kept: list[Unit] = []
            for unit in list(self._ready):
                jobs = unit.jobs if isinstance(unit, BatchJob) else [unit]
                going = [job for job in jobs if leaving(job)]
                dropped.extend(going)
                staying = [job for job in jobs if job not in going]
                if staying:
                    kept.append(BatchJob(staying) if isinstance(unit, BatchJob) else staying[0])
                elif isinstance(unit, Job):
                    # A ready job holds its key: hand the key on, or the key's later jobs
                    # would wait for a job that will never run.
                    handed_on.extend(self._hand_on_key(unit, leaving, dropped))
            self._ready.replace(kept)
            dropped.extend(self._keyed.drop(leaving))
            delayed = {job for job in self._waiting if leaving(job)}
            self._waiting -= delayed
            dropped.extend(delayed)
            for job in delayed & self._holding:
                self._holding.discard(job)
                handed_on.extend(self._hand_on_key(job, leaving, dropped))
            starting = self._take_startable()
        self._start(starting)
        for job in handed_on:
            self._with_key(job)
        return dropped

    def _hand_on_key(
        self, job: Job, leaving: Callable[[Job], bool], dropped: list[Job]
    ) -> list[Job]:
        """The next job of `job`'s key that stays (now holding the key), if any."""
        follower = self._keyed.release(job)
        while follower is not None and leaving(follower):
            dropped.append(follower)
            follower = self._keyed.release(follower)
        return [] if follower is None else [follower]

    def _after_wait(self, job: Job) -> None:
        with self._lock:
            if job not in self._waiting:  # taken back meanwhile (revoked, partition moved)
                return
            self._waiting.discard(job)
            if job in self._holding:  # it has its key already
                self._holding.discard(job)
                self._ready.push(job)
                starting = self._take_startable()
            else:
                starting = None
        if starting is None:
            self._place(job)
        else:
            self._start(starting)

    def _place(self, job: Job) -> None:
        if job.batches:
            self._batches.add(job)
            return
        with self._lock:
            self._ready.push(job)
            starting = self._take_startable()
        self._start(starting)

    def _enqueue(self, batch: BatchJob) -> None:
        with self._lock:
            self._ready.push(batch)
            starting = self._take_startable()
        self._start(starting)

    def _take_startable(self) -> list[Unit]:
        starting: list[Unit] = []
        if not self._lease.vouched():
            return starting
        while self._ready and self._running < self.concurrency:
            starting.append(self._ready.pop())
            self._running += 1
        return starting

    def _start(self, units: list[Unit]) -> None:
        for unit in units:
            if unit.runs_async:
                self._pool.run_async(_bound(self._arun, unit))
            else:
                self._pool.run_sync(lambda unit=unit: self._run(unit))  # type: ignore[misc]

    def _run(self, unit: Unit) -> None:
        # Checked again on the pool thread, the last moment before the task starts: the
        # process may have been frozen between the decision to start and this thread.
        if self._held_back(unit):
            return
        runner = self._runner
        assert runner is not None, "bind() a runner first"
        runner.run(unit)

    async def _arun(self, unit: Unit) -> None:
        if self._held_back(unit):
            return
        runner = self._runner
        assert runner is not None, "bind() a runner first"
        await runner.arun(unit)

    def _held_back(self, unit: Unit) -> bool:
        """Put `unit` back at the front of the ready queue when the lease is not vouched."""
        if self._lease.vouched():
            return False
        with self._lock:
            self._running -= 1
            self._ready.push(unit)
            starting = self._take_startable()  # the lease may have been confirmed meanwhile
        self._start(starting)
        return True


def _bound(
    run: Callable[[Unit], Coroutine[Any, Any, None]], unit: Unit
) -> Callable[[], Coroutine[Any, Any, None]]:
    return lambda: run(unit)
