"""Fault 9: the broker restarts again and again under the processes operators watch with.

A worker serving Prometheus metrics (consumer lag, asked of Kafka at every scrape) and a
dashboard (lag every half second) must outlive every restart, and show lag again afterwards.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from kafkatask import App
from kafkatask.local_broker import LocalBroker
from kafkatask.local_broker.launcher import default_home
from tests.faults.conftest import Workers
from tests.helpers import ROOT, free_port_pair, settings_env, wait_for

ROUNDS = 3
DOWN_SECONDS = 6.0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Scraper:
    """Asks both processes for lag all the time, as Prometheus and an open page would."""

    def __init__(self, metrics: str, queues: str) -> None:
        self._urls = [metrics, queues]
        self._stop = threading.Event()
        self.answers = 0
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        with httpx.Client(timeout=5.0) as http:
            while not self._stop.wait(0.2):
                for url in self._urls:
                    try:
                        http.get(url)
                        self.answers += 1
                    except httpx.HTTPError:
                        pass  # a process that died is what the test checks, not this

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(10)


@contextmanager
def _dashboard(own, port: int, log) -> Iterator[subprocess.Popen[bytes]]:
    command = [sys.executable, "-m", "kafkatask", "dashboard", "-A", "tests.apps.fault_app"]
    command += ["--port", str(port), "--lag-interval", "0.5", "--refresh", "0"]
    with log.open("ab") as output:
        process = subprocess.Popen(
            command, env=settings_env(own), cwd=ROOT, stdout=output, stderr=subprocess.STDOUT
        )
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


def _worker_lag(metrics: str) -> bool:
    try:
        return "kafkatask_worker_consumer_lag{" in httpx.get(metrics, timeout=5).text
    except httpx.HTTPError:
        return False


def _dashboard_lag(queues: str, group: str) -> bool:
    try:
        answer = httpx.get(queues, timeout=5).json()
    except (httpx.HTTPError, ValueError):
        return False
    return answer.get("error") is None and any(g["group"] == group for g in answer["groups"])


@pytest.mark.timeout(300)
def test_the_dashboard_and_a_metrics_worker_outlive_broker_restarts(
    settings, tmp_path, record_figures
):
    # Given a broker of the test's own, a worker with metrics and a dashboard, both asking for lag
    broker = LocalBroker(
        home=tmp_path / "broker", port=free_port_pair(), cache_dir=default_home() / "cache"
    )
    broker.start()
    own = settings.model_copy(update={"bootstrap_servers": broker.bootstrap})
    app = App("bounce-client", settings=own, delivery_timeout=120.0)
    workers = Workers(own, tmp_path)
    metrics_port, dashboard_port = _free_port(), _free_port()
    metrics = f"http://127.0.0.1:{metrics_port}/metrics"
    queues = f"http://127.0.0.1:{dashboard_port}/api/queues"
    group = app.topology.names.workers_group(["default"])
    sleepy = app.task(lambda index, seconds: index, name="faults.sleepy")
    scraper = None
    try:
        env = {"KAFKATASK_DELIVERY_TIMEOUT": "120"}
        worker = workers.start("watched", "-c", "4", "--metrics-port", str(metrics_port), env=env)
        with _dashboard(own, dashboard_port, tmp_path / "dashboard.log") as dashboard:
            assert sleepy.delay(0, 0.0).get(timeout=60) == 0
            wait_for(lambda: _worker_lag(metrics), 60, "the worker's lag metric")
            wait_for(lambda: _dashboard_lag(queues, group), 60, "the dashboard's lag table")
            scraper = Scraper(metrics, queues)
            sent = answered = 0

            # When the broker goes away and comes back, again and again, with tasks on the way
            for round in range(ROUNDS):
                results = [sleepy.delay(i, 0.01) for i in range(100)]
                broker.stop()
                time.sleep(DOWN_SECONDS)
                broker.start()
                wait_for(
                    lambda results=results: (
                        all(r.ready() for r in results)
                        or worker.poll() is not None
                        or dashboard.poll() is not None
                    ),
                    120,
                    f"round {round}'s tasks",
                )
                assert worker.poll() is None, f"the worker died in round {round}: {worker.poll()}"
                assert dashboard.poll() is None, f"the dashboard died in round {round}"
                assert [r.get(timeout=1) for r in results] == list(range(100))
                sent, answered = sent + 100, answered + len(results)

            # Then both are alive, and both show lag again
            wait_for(lambda: _worker_lag(metrics), 60, "the worker's lag metric again")
            wait_for(lambda: _dashboard_lag(queues, group), 60, "the dashboard's lag again")
            assert worker.poll() is None
            assert dashboard.poll() is None
            scraper.stop()  # its keep-alive connection would hold the dashboard's shutdown
            record_figures(
                broker_restarts=ROUNDS,
                broker_down_seconds_each=DOWN_SECONDS,
                sent=sent,
                completed=answered,
                lost=sent - answered,
                lag_requests_answered=scraper.answers,
                worker_alive=True,
                dashboard_alive=True,
            )
    finally:
        if scraper is not None:
            scraper.stop()
        workers.stop_all()
        app.close()
        broker.stop()
