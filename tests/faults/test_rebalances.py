"""Fault 4: add and remove workers while 5,000 tasks run; nothing lost, one result each."""

from __future__ import annotations

import pytest

from tests.helpers import wait_for

LIMIT = 4 + 4  # concurrency + prefetch: the most a worker holds when a partition moves


@pytest.mark.timeout(300)
def test_workers_come_and_go(client, workers, record_figures):
    sleepy = client.task(lambda index, seconds: index, name="faults.sleepy")
    workers.start("a", "-c", "4")
    results = [sleepy.delay(i, 0.01) for i in range(5000)]

    def done() -> int:
        return sum(r.ready() for r in results)

    wait_for(lambda: done() >= 800, 120, "800 results")
    workers.start("b", "-c", "4")
    wait_for(lambda: done() >= 1600, 120, "1,600 results")
    workers.start("c", "-c", "4")
    wait_for(lambda: done() >= 2400, 120, "2,400 results")
    workers.processes["a"].terminate()  # a graceful stop: its partitions move to b and c
    wait_for(lambda: done() >= 3200, 120, "3,200 results")
    workers.processes["b"].terminate()

    assert [r.get(timeout=180) for r in results] == list(range(5000))
    for name in ("a", "b"):
        assert workers.processes[name].wait(60) == 0
    executions = workers.executions()
    ran_twice = sum(1 for count in executions.values() if count > 1)
    rebalances = sum(workers.log(name).count("revoking") for name in workers.processes)
    # duplicates only for what was in flight when partitions were taken away
    assert ran_twice <= rebalances * LIMIT
    record_figures(
        sent=5000,
        completed=sum(r.successful() for r in results),
        lost=5000 - sum(r.successful() for r in results),
        workers_added=2,
        workers_removed=2,
        partition_revocations=rebalances,
        ran_twice=ran_twice,
        duplicates_suppressed=client.connection.router.duplicates,
        dead_lettered=0,
    )
