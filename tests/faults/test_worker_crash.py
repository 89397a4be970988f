"""Fault 1: SIGKILL a worker holding 100 in-flight tasks of 1,000; a second one finishes them."""

from __future__ import annotations

import signal

import pytest

from tests.helpers import wait_for


@pytest.mark.timeout(240)
def test_sigkill_with_100_in_flight(client, workers, record_figures):
    # Given a worker running 100 half-second tasks at a time out of 1,000
    sleepy = client.task(lambda index, seconds: index, name="faults.sleepy")
    first = workers.start("first", "-c", "100")
    results = [sleepy.delay(i, 0.5) for i in range(1000)]
    wait_for(lambda: sum(r.ready() for r in results) >= 150, 120, "150 results")

    # When it is killed with its slots full, and another worker takes over
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    done_at_kill = sum(r.ready() for r in results)
    workers.start("second", "-c", "100")

    # Then every caller gets its one result, and none is lost
    assert [r.get(timeout=180) for r in results] == list(range(1000))
    by_second = sum(r.worker == "second" for r in results)
    assert by_second >= 1000 - done_at_kill - 5  # what the first had not answered
    record_figures(
        sent=1000,
        completed=sum(r.successful() for r in results),
        lost=1000 - sum(r.successful() for r in results),
        answered_before_kill=done_at_kill,
        finished_by_second_worker=by_second,
        duplicates_suppressed=client.connection.router.duplicates,
        dead_lettered=0,
    )
