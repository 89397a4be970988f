"""Gateways and workers as separate processes: a stream started through one gateway is
resumed through another, and a worker that dies mid-stream is reported as a restart."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.gateway.apps import WORDS
from tests.gateway.sse import data_of, events_of, stream
from tests.helpers import ROOT, free_port, settings_env, spawn_worker, stop, wait_for

pytestmark = pytest.mark.integration

APP = "tests.gateway.apps"


@pytest.fixture
def start_gateway(settings, tmp_path) -> Iterator[Callable[[str], str]]:
    """Start `kafkatask gateway -A tests.gateway.apps` processes; each call returns a URL."""
    processes: list[subprocess.Popen[bytes]] = []

    def start(name: str) -> str:
        port = free_port()
        command = [sys.executable, "-m", "kafkatask", "gateway", "-A", APP, "--port", str(port)]
        log = tmp_path / f"{name}.log"
        with log.open("ab") as output:
            process = subprocess.Popen(
                command,
                env=settings_env(settings),
                cwd=ROOT,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        processes.append(process)
        url = f"http://127.0.0.1:{port}"
        wait_for(lambda: _healthy(url, process, log), 60, f"gateway {name} to answer")
        return url

    yield start
    for process in processes:
        stop(process)


def _healthy(url: str, process: subprocess.Popen[bytes], log: Path) -> bool:
    assert process.poll() is None, log.read_text()
    try:
        return httpx.get(f"{url}/healthz", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


@pytest.fixture
def worker(settings, tmp_path) -> Iterator[subprocess.Popen[bytes]]:
    process = spawn_worker(settings, APP, "-c", "4", log=tmp_path / "worker.log")
    yield process
    stop(process)


def _words(count: int) -> list[str]:
    return [word + " " for word in WORDS[:count]]


def test_a_stream_started_through_one_gateway_is_resumed_through_another(worker, start_gateway):
    first, second = start_gateway("first"), start_gateway("second")
    body = {"input": {"count": 20, "pause": 0.05}}
    with httpx.Client(timeout=60) as client:
        # Given a stream started through the first gateway, whose client hangs up early
        seen = stream(client, "POST", f"{first}/tests.words/stream", json=body, take=6)
        task_id = seen[0].data["task_id"]
        # When it comes back through the second gateway, which never saw the task
        rest = stream(
            client,
            "GET",
            f"{second}/tests.words/stream/{task_id}",
            headers={"Last-Event-ID": seen[-1].id},
        )
        # and another client follows it from the start through the first one
        whole = stream(client, "GET", f"{first}/tests.words/stream/{task_id}")
        # Then each read the one stream, with no gap and no repeat
        assert data_of(seen) + data_of(rest) == _words(20)
        assert data_of(whole) == _words(20)
        # and either gateway answers for the task's result
        assert client.get(f"{second}/tests.words/invoke/{task_id}").json()["output"] == "".join(
            _words(20)
        )


def test_a_worker_that_dies_mid_stream_is_reported_as_a_restart(settings, start_gateway, tmp_path):
    # Given a gateway streaming a slow task from a worker process
    gateway = start_gateway("gateway")
    doomed = spawn_worker(settings, APP, "-c", "2", log=tmp_path / "doomed.log")
    rescuer = None
    body = {"input": {"count": 30, "pause": 0.1}}
    try:
        with (
            httpx.Client(timeout=120) as client,
            client.stream("POST", f"{gateway}/tests.words/stream", json=body) as response,
        ):
            events = events_of(response.iter_lines())
            before = [next(events) for _ in range(6)]  # metadata, 5 chunks
            # When the worker dies, and another runs the task again
            doomed.send_signal(signal.SIGKILL)
            doomed.wait(10)
            rescuer = spawn_worker(settings, APP, "-c", "2", log=tmp_path / "rescuer.log")
            after = list(events)
        # Then the client is told, and gets the new attempt from its first chunk
        names = [event.name for event in after]
        assert "restart" in names
        restart = names.index("restart")
        assert data_of(before) + data_of(after[:restart]) == _words(
            len(data_of(before + after[:restart]))
        )
        assert data_of(after[restart:]) == _words(30)
        assert names[-1] == "end"
        # and a replay from the start, through the same gateway, sees the same
        task_id = before[0].data["task_id"]
        with httpx.Client(timeout=60) as client:
            replayed = stream(client, "GET", f"{gateway}/tests.words/stream/{task_id}")
        assert [e.name for e in replayed] == [e.name for e in before[1:] + after]
    finally:
        for process in (doomed, rescuer):
            if process is not None:
                stop(process)
