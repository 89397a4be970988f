"""`kafkatask worker --processes N`: N worker processes under one supervisor, one /metrics."""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import time

import httpx
import pytest

from tests.helpers import spawn_worker, wait_for

pytestmark = pytest.mark.integration


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _children(supervisor: subprocess.Popen[bytes]) -> list[int]:
    found = subprocess.run(
        ["pgrep", "-P", str(supervisor.pid)], capture_output=True, text=True, check=False
    )
    return [int(pid) for pid in found.stdout.split()]


def _metrics(port: int) -> str:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    except httpx.HTTPError:
        return ""


@pytest.mark.timeout(180)
def test_two_processes_share_the_queue_are_restarted_and_stop_together(app, settings, tmp_path):
    # Given a supervisor of two worker processes, with metrics
    sleepy = app.task(lambda index, seconds: index, name="faults.sleepy")
    port = _free_port()
    log = tmp_path / "supervisor.log"
    supervisor = spawn_worker(
        settings, "tests.apps.fault_app", "-P", "2", "-c", "2", "-n", "pair",
        "--metrics-port", str(port), log=log,
    )  # fmt: skip
    try:
        # When tasks arrive, both processes take part, and /metrics shows both
        def both_work() -> bool:
            results = [sleepy.delay(i, 0.0) for i in range(40)]
            assert [r.get(timeout=30) for r in results] == list(range(40))
            return {r.worker for r in results} == {"pair-0", "pair-1"}

        wait_for(both_work, 90, "both worker processes to run tasks")
        wait_for(lambda: 'process="1"' in _metrics(port), 30, "both processes' metrics")
        text = _metrics(port)
        assert re.search(r'kafkatask_worker_tasks_total\{process="0",state="succeeded"\}', text)
        assert "kafkatask_supervisor_processes 2.0" in text

        # When one of them is killed, it is started again and the queue keeps going
        (victim, *_) = _children(supervisor)
        subprocess.run(["kill", "-9", str(victim)], check=True)
        wait_for(lambda: "killed by SIGKILL" in log.read_text(), 30, "the supervisor to notice")
        wait_for(lambda: len(_children(supervisor)) == 2, 30, "the process started again")
        assert [sleepy.delay(i, 0.0).get(timeout=60) for i in range(10)] == list(range(10))
        assert "kafkatask_supervisor_restarts_total 1.0" in _metrics(port)

        # Then SIGTERM stops every process gracefully, the supervisor last
        children = _children(supervisor)
        supervisor.send_signal(signal.SIGTERM)
        assert supervisor.wait(60) == 0
        text = log.read_text()
        assert text.count("SIGTERM: finishing running tasks") == 2
        assert "worker pair-0 stopped" in text
        assert "worker pair-1 stopped" in text
        assert all(
            subprocess.run(["kill", "-0", str(pid)], check=False).returncode for pid in children
        )
    finally:
        if supervisor.poll() is None:
            supervisor.kill()
            supervisor.wait(10)


def test_a_child_that_cannot_start_stops_the_supervisor_with_its_code(settings, tmp_path):
    log = tmp_path / "supervisor.log"
    began = time.monotonic()
    supervisor = spawn_worker(settings, "no.such.module", "-P", "2", log=log)
    assert supervisor.wait(60) == 2  # a usage error, once, not a restart loop
    assert time.monotonic() - began < 30
    assert log.read_text().count("cannot import 'no.such.module'") == 1
