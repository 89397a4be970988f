"""WorkerMetrics: a worker's Prometheus metrics on its own port (`kafkatask worker --metrics-port`).

Each worker gets a registry of its own, not prometheus_client's global one, because one process
may run several workers (tests do). Nearly everything is read at scrape time from what the
worker already keeps (its stats, the rate limiter's wait counter, the dispatcher, the consumer),
so the task path pays nothing; the one exception is the run-time histogram, fed by a small
middleware (TaskDurations) that the worker adds to its stack when metrics are on.

Consumer lag is asked of Kafka with an OffsetReader of the metrics' own (kafka/lag.py), for the
partitions the worker owns: calling into the worker's consumer from the scrape thread would
wait on the consumer thread's polling, for seconds.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Protocol

from confluent_kafka import KafkaException
from prometheus_client import CollectorRegistry, Histogram, start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from kafkatask.kafka.config import common_config
from kafkatask.kafka.lag import OffsetReader, lag
from kafkatask.middleware.base import Middleware
from kafkatask.middleware.rate_limits import RateLimits

if TYPE_CHECKING:
    from wsgiref.simple_server import WSGIServer

    from kafkatask.worker.interrupts import RunningTask
    from kafkatask.worker.job import Job
    from kafkatask.worker.worker import Worker

_log = logging.getLogger("kafkatask.worker")
_LAG_TIMEOUT = 2.0
DURATION_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300)


class SlotCounter(Protocol):
    """The worker's dispatcher, as far as metrics need it."""

    def running(self) -> int: ...

    def held(self) -> int: ...


class TaskDurations(Middleware):
    """Observes how long each task runs (from `running` to `after_running`), by task name."""

    def __init__(self, histogram: Histogram) -> None:
        self._histogram = histogram
        self._began: dict[int, float] = {}
        self._lock = threading.Lock()

    def running(self, job: Job, task: RunningTask) -> None:
        with self._lock:
            self._began[id(job)] = time.perf_counter()

    def after_running(self, job: Job) -> None:
        with self._lock:
            began = self._began.pop(id(job), None)
        if began is not None:
            self._histogram.labels(task=job.name).observe(time.perf_counter() - began)


class WorkerMetrics:
    """The metrics of one worker: created with it, served from `start` until `stop`.

    Args:
        worker: the worker to describe; TaskDurations joins its middleware stack here, before
            the worker starts its middleware.
        port: the port to serve /metrics on (0: any free port, see `port` after `start`).
        host: the address to listen on.
    """

    def __init__(self, worker: Worker, port: int, host: str = "0.0.0.0") -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.durations = Histogram(
            "kafkatask_worker_task_duration_seconds",
            "How long tasks ran on this worker, by task name.",
            ["task"],
            buckets=DURATION_BUCKETS,
            registry=self.registry,
        )
        worker.middleware.middleware.append(TaskDurations(self.durations))
        self._worker = worker
        self._host = host
        self.port = port
        self._server: WSGIServer | None = None
        self._offsets = OffsetReader(
            common_config(worker.app.settings, f"{worker.id}-metrics"), _LAG_TIMEOUT
        )

    def start(self, slots: SlotCounter) -> None:
        """Serve /metrics (on a daemon thread) for a worker whose dispatcher runs."""
        self.registry.register(WorkerCollector(self._worker, self._offsets, slots))
        self._server, _ = start_http_server(self.port, self._host, registry=self.registry)
        self.port = self._server.server_port
        _log.info("worker metrics on http://%s:%d/metrics", self._host, self.port)

    def stop(self) -> None:
        """Stop serving; called before the worker closes its consumer."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        self._offsets.close()


class WorkerCollector(Collector):
    """Reads the worker's counters and gauges at scrape time."""

    def __init__(self, worker: Worker, offsets: OffsetReader, slots: SlotCounter) -> None:
        self._worker = worker
        self._offsets = offsets
        self._slots = slots

    def collect(self) -> Iterator[Metric]:
        yield from self._tasks()
        yield from self._slots_in_use()
        yield from self._rate_limits()
        yield self._lag()

    def _tasks(self) -> Iterator[Metric]:
        stats = self._worker.stats
        tasks = CounterMetricFamily(
            "kafkatask_worker_tasks",
            "Task runs finished by this worker, by outcome (rejected ones count as failed).",
            labels=["state"],
        )
        tasks.add_metric(["succeeded"], stats.succeeded)
        tasks.add_metric(["failed"], stats.failed)
        tasks.add_metric(["retried"], stats.retried)
        yield tasks
        yield CounterMetricFamily(
            "kafkatask_worker_retries",
            "Runs that failed and were sent to run again later.",
            value=stats.retried,
        )
        yield CounterMetricFamily(
            "kafkatask_worker_duplicates",
            "Requests not run again because the same task id already ran (idempotency).",
            value=stats.duplicates,
        )

    def _slots_in_use(self) -> Iterator[Metric]:
        yield GaugeMetricFamily(
            "kafkatask_worker_in_flight_tasks",
            "Tasks running now (each holds one of the worker's concurrency slots).",
            value=self._slots.running(),
        )
        yield GaugeMetricFamily(
            "kafkatask_worker_held_tasks",
            "Tasks in the worker's memory: running, waiting for a slot, a key or a rate limit.",
            value=self._slots.held(),
        )
        yield GaugeMetricFamily(
            "kafkatask_worker_concurrency",
            "The most tasks this worker runs at once.",
            value=self._worker.concurrency,
        )

    def _rate_limits(self) -> Iterator[Metric]:
        limits = self._worker.middleware.find(RateLimits)
        yield CounterMetricFamily(
            "kafkatask_worker_rate_limit_waits",
            "Tasks that had to wait for their rate limit before starting.",
            value=limits.waits if limits is not None else 0,
        )

    def _lag(self) -> Metric:
        lag = GaugeMetricFamily(
            "kafkatask_worker_consumer_lag",
            "Records of the worker's partitions not yet committed (end offset - committed).",
            labels=["topic", "partition"],
        )
        for (topic, partition), behind in self._partition_lag().items():
            lag.add_metric([topic, str(partition)], behind)
        return lag

    def _partition_lag(self) -> dict[tuple[str, int], int]:
        """Lag of each partition the worker owns; a failure only leaves it out of this scrape."""
        owned = self._worker.partitions()
        if not owned:
            return {}
        try:
            committed = self._offsets.committed(self._worker.group_id, owned)
            watermarks = self._offsets.watermarks(owned)
        except (KafkaException, TimeoutError) as error:
            _log.debug("consumer lag left out of the metrics: %s", error)
            return {}
        return {tp: lag(start, end, committed.get(tp)) for tp, (start, end) in watermarks.items()}
