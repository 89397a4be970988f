"""Fault 6: a task three times longer than max.poll.interval.ms runs once, without rebalances."""

from __future__ import annotations

import pytest

SHORT_POLL = {"KAFKATASK_SESSION_TIMEOUT_MS": "2000", "KAFKATASK_MAX_POLL_INTERVAL_MS": "3000"}


@pytest.mark.timeout(120)
def test_long_task_keeps_its_partitions(client, workers, record_figures):
    sleepy = client.task(lambda index, seconds: index, name="faults.sleepy")
    workers.start("worker", "-c", "2", env=SHORT_POLL)
    assert sleepy.delay(0, 0.0).get(timeout=60) == 0  # joined and assigned

    result = sleepy.delay(1, 9.0)  # three times max.poll.interval.ms
    assert result.get(timeout=60) == 1

    log = workers.log("worker")
    executions = workers.executions()
    assert executions[result.id] == 1
    assert log.count("assigned") == 1
    assert "revoking" not in log
    assert "lost" not in log
    record_figures(
        sent=2,
        completed=2,
        lost=0,
        task_seconds=9.0,
        max_poll_interval_seconds=3.0,
        executions_of_the_long_task=executions[result.id],
        rebalances=log.count("revoking"),
        duplicates_suppressed=client.connection.router.duplicates,
        dead_lettered=0,
    )
