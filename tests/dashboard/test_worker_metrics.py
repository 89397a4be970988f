"""Workers' Prometheus metrics (`--metrics-port`), scraped over HTTP from real workers."""

from __future__ import annotations

import threading

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from kafkatask import App
from tests.helpers import wait_for

pytestmark = pytest.mark.integration


def _scrape(worker) -> dict[tuple[str, tuple], float]:
    text = httpx.get(f"http://127.0.0.1:{worker.metrics.port}/metrics", timeout=10).text
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def _value(samples, name: str, **labels) -> float | None:
    return samples.get((name, tuple(sorted(labels.items()))))


def test_tasks_by_state_durations_retries_and_rate_limit_waits(settings, start_worker):
    app = App("metrics", settings=settings)
    add = app.task(lambda x, y: x + y, name="m.add")
    tries = {"n": 0}

    @app.task(name="m.flaky", autoretry_for=(KeyError,), max_retries=1, default_retry_delay=0.1)
    def flaky() -> None:
        tries["n"] += 1
        raise KeyError("always")

    @app.task(name="m.limited", rate_limit="5/s")
    def limited() -> None:
        pass

    worker = start_worker(app, metrics_port=0)
    try:
        for i in range(5):
            add.delay(i, i).get(timeout=30)
        flaky.delay().get(timeout=30, propagate=False)
        for result in [limited.delay() for _ in range(3)]:
            result.get(timeout=30)

        def counted() -> bool:
            samples = _scrape(worker)
            return _value(samples, "kafkatask_worker_tasks_total", state="succeeded") == 8

        wait_for(counted, 30, "eight successes in the metrics")
        samples = _scrape(worker)
        assert _value(samples, "kafkatask_worker_tasks_total", state="failed") == 1
        assert _value(samples, "kafkatask_worker_tasks_total", state="retried") == 1
        assert _value(samples, "kafkatask_worker_retries_total") == 1
        assert _value(samples, "kafkatask_worker_task_duration_seconds_count", task="m.add") == 5
        assert _value(samples, "kafkatask_worker_task_duration_seconds_count", task="m.flaky") == 2
        assert _value(samples, "kafkatask_worker_rate_limit_waits_total") >= 1
        assert _value(samples, "kafkatask_worker_concurrency") == worker.concurrency
        assert _value(samples, "kafkatask_worker_in_flight_tasks") == 0
        lags = {k: v for k, v in samples.items() if k[0] == "kafkatask_worker_consumer_lag"}
        assert len(lags) == settings.task_partitions
        wait_for(
            lambda: all(
                v == 0
                for k, v in _scrape(worker).items()
                if k[0] == "kafkatask_worker_consumer_lag"
            ),
            30,
            "no lag",
        )
    finally:
        app.close()


def test_in_flight_tasks_and_two_workers_in_one_process(settings, start_worker):
    app = App("metrics", settings=settings)
    release = threading.Event()
    started = threading.Event()

    @app.task(name="m.block")
    def block() -> None:
        started.set()
        release.wait(30)

    first = start_worker(app, metrics_port=0, concurrency=2)
    second = start_worker(app, metrics_port=0, queues=["other"])  # its own registry and port
    try:
        result = block.delay()
        wait_for(started.is_set, 30, "the task to start")
        assert _value(_scrape(first), "kafkatask_worker_in_flight_tasks") == 1
        assert _value(_scrape(first), "kafkatask_worker_held_tasks") == 1
        assert _value(_scrape(second), "kafkatask_worker_in_flight_tasks") == 0
        release.set()
        result.get(timeout=30)
        wait_for(
            lambda: _value(_scrape(first), "kafkatask_worker_in_flight_tasks") == 0, 30, "done"
        )
    finally:
        release.set()
        app.close()
    assert first.metrics.port != second.metrics.port


def test_metrics_stop_with_the_worker(settings, start_worker):
    app = App("metrics", settings=settings)
    worker = start_worker(app, metrics_port=0)
    port = worker.metrics.port
    assert httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).status_code == 200
    worker.stop()
    assert worker.join(30)
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=2)
    app.close()
