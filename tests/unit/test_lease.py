"""AssignmentLease, and the dispatcher holding starts back while the lease is suspended."""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass, field
from types import SimpleNamespace

from kafkatask.worker.dispatch import Dispatcher
from kafkatask.worker.lease import AssignmentLease
from kafkatask.worker.pool import ExecutionPool
from kafkatask.worker.stack import MiddlewareStack
from kafkatask.worker.timers import TimerQueue
from tests.helpers import wait_for


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_lease_renewed_in_time_stays_vouched():
    clock = Clock()
    lease = AssignmentLease(5.0, clock)
    for _ in range(10):
        clock.now += 4.9
        assert lease.renew()
        assert lease.vouched()


def test_a_gap_suspends_the_lease_until_it_is_confirmed():
    clock = Clock()
    lease = AssignmentLease(5.0, clock)
    clock.now += 5.1  # frozen
    assert not lease.vouched()  # any thread sees it at once, before the consumer thread runs
    assert not lease.renew()
    clock.now += 0.1
    assert not lease.renew()  # renewing again does not bring it back: only a confirmation does
    assert not lease.vouched()
    lease.confirm()
    assert lease.vouched()
    assert lease.renew()


_offsets = itertools.count()


@dataclass(eq=False)
class FakeJob:
    name: str
    message: SimpleNamespace = field(default_factory=lambda: SimpleNamespace(eta=None))
    record: SimpleNamespace = field(
        default_factory=lambda: SimpleNamespace(
            timestamp=0.0, tie=0, topic="t", partition=0, offset=next(_offsets)
        )
    )
    order_key: None = None
    batches: bool = False
    runs_async: bool = False
    released: bool = False

    def claim_release(self) -> bool:
        first, self.released = not self.released, True
        return first


class Recorder:
    def __init__(self) -> None:
        self.started: list[str] = []
        self.ran: list[str] = []
        self.gate = threading.Event()

    def run(self, unit: FakeJob) -> None:
        self.started.append(unit.name)
        self.gate.wait(10)
        self.ran.append(unit.name)

    async def arun(self, unit: FakeJob) -> None:
        self.ran.append(unit.name)


def test_the_dispatcher_starts_nothing_while_the_lease_is_suspended():
    # Given a dispatcher with one slot, one job running and two waiting for the slot
    clock = Clock()
    lease = AssignmentLease(5.0, clock)
    pool, timers = ExecutionPool(1), TimerQueue()
    dispatcher = Dispatcher(1, pool, MiddlewareStack([]), timers, lease)
    recorder = Recorder()
    dispatcher.bind(recorder)
    first, second, third = FakeJob("first"), FakeJob("second"), FakeJob("third")
    try:
        for job in (first, second, third):
            dispatcher.admit(job)
        wait_for(lambda: recorder.started == ["first"], 5, "the first job to start")

        # When the process is frozen while the first runs, and the first then finishes
        clock.now += 6.0
        recorder.gate.set()
        wait_for(lambda: recorder.ran == ["first"], 5, "the running job to finish")
        dispatcher.release(first)

        # Then nothing else starts, until the assignment is confirmed; then both run, in order
        assert dispatcher.held() == 2
        assert recorder.ran == ["first"]
        lease.confirm()
        dispatcher.resume()
        wait_for(lambda: recorder.ran == ["first", "second"], 5, "the second job")
        dispatcher.release(second)
        wait_for(lambda: recorder.ran == ["first", "second", "third"], 5, "the third job")
    finally:
        pool.shutdown()
        timers.close()


class HeldPool:
    """A pool whose work waits until the test runs it, as a thread frozen after the handoff."""

    def __init__(self) -> None:
        self.work: list = []

    def run_sync(self, work) -> None:
        self.work.append(work)


def test_a_job_handed_to_a_pool_thread_across_a_freeze_goes_back_to_the_queue():
    # Given a job handed to a pool thread just before the process was frozen
    clock = Clock()
    lease = AssignmentLease(5.0, clock)
    pool, timers = HeldPool(), TimerQueue()
    dispatcher = Dispatcher(1, pool, MiddlewareStack([]), timers, lease)
    recorder = Recorder()
    recorder.gate.set()
    dispatcher.bind(recorder)
    try:
        dispatcher.admit(FakeJob("late"))
        assert len(pool.work) == 1

        # When that thread gets to it after the freeze
        clock.now += 6.0
        pool.work.pop()()

        # Then it did not run, but waits at the front of the queue until the lease is confirmed
        assert recorder.ran == []
        assert dispatcher.held() == 1
        assert dispatcher.running() == 0
        lease.confirm()
        dispatcher.resume()
        pool.work.pop()()
        assert recorder.ran == ["late"]
    finally:
        timers.close()
