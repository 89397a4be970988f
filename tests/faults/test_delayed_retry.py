"""Fault 5: a retry scheduled for 5 s survives a restart of every worker."""

from __future__ import annotations

import signal
import time

import pytest

from kafkatask import TaskState
from tests.helpers import wait_for


@pytest.mark.timeout(120)
def test_retry_survives_every_worker_restarting(client, workers, record_figures):
    retry_once = client.task(lambda countdown: "", name="faults.retry_once")
    first = workers.start("first", "-c", "2")
    began = time.monotonic()
    result = retry_once.delay(5.0)
    wait_for(lambda: result.state == TaskState.RETRY, 60, "the RETRY state")
    retried_at = time.monotonic()

    # every worker goes away (killed: nothing is handed over) and a new one starts
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    workers.start("second", "-c", "2")

    assert result.get(timeout=90) == "done on retry 1"
    waited = time.monotonic() - retried_at
    assert waited >= 4.5
    assert result.worker == "second"
    record_figures(
        sent=1,
        completed=1,
        lost=0,
        retry_countdown_seconds=5.0,
        seconds_from_retry_to_result=round(waited, 1),
        seconds_total=round(time.monotonic() - began, 1),
        duplicates_suppressed=client.connection.router.duplicates,
        dead_lettered=0,
    )
