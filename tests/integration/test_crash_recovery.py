"""A worker killed with SIGKILL loses nothing: another worker finishes its tasks."""

from __future__ import annotations

import signal

from kafkatask import App
from tests.helpers import spawn_worker, wait_for


def test_sigkill_with_tasks_in_flight_then_another_worker_takes_over(settings, tmp_path):
    # Given a worker process running eight one-second tasks at a time
    app = App("crash", settings=settings)
    slow = app.task(lambda index, seconds: index, name="tests.apps.crash_app.slow")
    first = spawn_worker(
        settings, "tests.apps.crash_app", "-c", "8", "-n", "first", log=tmp_path / "first.log"
    )
    results = [slow.delay(i, 1.0) for i in range(40)]
    try:
        wait_for(lambda: sum(r.ready() for r in results) >= 8, 60, "the first eight results")

        # When it is killed while it holds tasks in flight
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        assert sum(r.ready() for r in results) < 40
        second = spawn_worker(
            settings, "tests.apps.crash_app", "-c", "8", "-n", "second", log=tmp_path / "second.log"
        )

        # Then every caller gets its result, exactly one each
        try:
            assert [r.get(timeout=90) for r in results] == list(range(40))
        finally:
            second.terminate()
            second.wait(30)
        assert all(r.successful() for r in results)
        # the second worker really did take over work the first one had not finished
        finished_by = {r.worker for r in results}
        assert finished_by == {"first", "second"}
    finally:
        if first.poll() is None:
            first.kill()
        app.close()
