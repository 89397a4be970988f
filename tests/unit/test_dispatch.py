"""The dispatcher tells the worker when its pool goes idle (so its replies go out at once)."""

from __future__ import annotations

from kafkatask.worker.dispatch import Dispatcher
from kafkatask.worker.lease import AssignmentLease
from kafkatask.worker.pool import ExecutionPool
from kafkatask.worker.stack import MiddlewareStack
from kafkatask.worker.timers import TimerQueue
from tests.helpers import wait_for
from tests.unit.test_lease import FakeJob, Recorder


def test_the_pool_is_idle_only_when_its_last_job_finishes_and_nothing_waits():
    # Given two slots and three jobs: two run, one waits for a slot
    idle: list[int] = []
    pool, timers = ExecutionPool(2), TimerQueue()
    dispatcher = Dispatcher(
        2,
        pool,
        MiddlewareStack([]),
        timers,
        AssignmentLease(60.0),
        on_idle=lambda: idle.append(dispatcher.running()),
    )
    recorder = Recorder()
    recorder.gate.set()
    dispatcher.bind(recorder)
    jobs = [FakeJob(name) for name in ("a", "b", "c")]
    try:
        for job in jobs:
            dispatcher.admit(job)
        wait_for(lambda: len(recorder.ran) == 2, 5, "two jobs to run")

        # When the first two finish, the third takes a freed slot: the pool is not idle
        dispatcher.release(jobs[0])
        dispatcher.release(jobs[1])
        wait_for(lambda: len(recorder.ran) == 3, 5, "the third job to run")
        assert idle == []

        # Then it is idle once the last one finishes, once
        dispatcher.release(jobs[2])
        assert idle == [0]
        dispatcher.release(jobs[2])  # a second release of the same job changes nothing
        assert idle == [0]
    finally:
        pool.shutdown()
        timers.close()
