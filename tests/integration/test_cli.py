"""The `kafkatask` command: worker, topics, broker status."""

from __future__ import annotations

import signal
import time

from kafkatask import App
from tests.helpers import run_kafkatask, spawn_worker, wait_for


def test_topics_init_and_list(settings):
    created = run_kafkatask(settings, "topics", "init", "-A", "tests.apps.crash_app", "-Q", "a,b")
    assert created.returncode == 0, created.stderr
    assert f"created {settings.namespace}.tasks.a" in created.stdout
    again = run_kafkatask(settings, "topics", "init", "-A", "tests.apps.crash_app", "-Q", "a,b")
    assert "all topics exist" in again.stdout
    listed = run_kafkatask(settings, "topics", "list")
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert f"{settings.namespace}.tasks.b\t{settings.task_partitions} partitions" in lines
    assert f"{settings.namespace}.results\t{settings.result_partitions} partitions" in lines


def test_worker_finds_the_app_in_a_module_and_runs_tasks(settings, tmp_path):
    app = App("client", settings=settings)
    add = app.task(lambda x, y: x + y, name="tests.apps.crash_app.add")
    worker = spawn_worker(settings, "tests.apps.crash_app", "-c", "2", log=tmp_path / "w.log")
    try:
        assert add.delay(20, 22).get(timeout=60) == 42
    finally:
        worker.terminate()
        assert worker.wait(30) == 0
        app.close()
    log = (tmp_path / "w.log").read_text()
    assert "tests.apps.crash_app.add" in log
    assert "succeeded in" in log


def test_sigterm_finishes_running_tasks_then_exits(settings, tmp_path):
    app = App("client", settings=settings)
    slow = app.task(
        lambda index, seconds: index, name="tests.apps.crash_app.slow", track_started=True
    )
    worker = spawn_worker(settings, "tests.apps.crash_app", "-c", "4", log=tmp_path / "w.log")
    try:
        running = [slow.delay(i, 2.0) for i in range(4)]
        wait_for(lambda: all(r.state == "STARTED" for r in running), 60, "four running tasks")
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(30) == 0
        assert [r.get(timeout=1) for r in running] == [0, 1, 2, 3]
    finally:
        if worker.poll() is None:
            worker.kill()
        app.close()
    assert "finishing running tasks" in (tmp_path / "w.log").read_text()


def test_a_second_signal_exits_at_once(settings, tmp_path):
    app = App("client", settings=settings)
    slow = app.task(
        lambda index, seconds: index, name="tests.apps.crash_app.slow", track_started=True
    )
    worker = spawn_worker(settings, "tests.apps.crash_app", "-c", "1", log=tmp_path / "w.log")
    try:
        running = slow.delay(0, 30.0)
        wait_for(lambda: running.state == "STARTED", 60, "the task to start")
        worker.send_signal(signal.SIGINT)
        wait_for(lambda: "finishing running" in (tmp_path / "w.log").read_text(), 10, "stopping")
        began = time.monotonic()
        worker.send_signal(signal.SIGINT)
        assert worker.wait(10) == 1
        assert time.monotonic() - began < 5
    finally:
        if worker.poll() is None:
            worker.kill()
        app.close()
