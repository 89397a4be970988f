"""DashboardCollector: the dashboard's own Prometheus metrics, served at /metrics.

Read at scrape time from what the dashboard already holds, in a registry of its own (several
dashboards can live in one process, as they do in tests). Lag metrics make the dashboard a
consumer-lag exporter for the namespace; the counters describe the dashboard itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from kafkatask.dashboard.tasks import STATES

if TYPE_CHECKING:
    from kafkatask.dashboard.services import Dashboard


class DashboardCollector(Collector):
    def __init__(self, dashboard: Dashboard) -> None:
        self._dashboard = dashboard

    def collect(self) -> Iterator[Metric]:
        yield from self._events()
        yield from self._window()
        yield from self._workers()
        yield from self._lag()

    def _events(self) -> Iterator[Metric]:
        books = self._dashboard.state.bookkeeping()
        events = CounterMetricFamily(
            "kafkatask_dashboard_events",
            "Events read from the events topic, by type.",
            labels=["type"],
        )
        for kind, count in sorted(books.events.items()):
            events.add_metric([kind], count)
        yield events
        yield CounterMetricFamily(
            "kafkatask_dashboard_malformed_events",
            "Records on the events topic skipped because they were not valid events.",
            value=books.malformed,
        )
        yield GaugeMetricFamily(
            "kafkatask_dashboard_caught_up",
            "1 once the history of the events topic has been read.",
            value=1 if books.caught_up else 0,
        )

    def _window(self) -> Iterator[Metric]:
        by_state = self._dashboard.state.tasks_by_state()
        tasks = GaugeMetricFamily(
            "kafkatask_dashboard_window_tasks",
            "Tasks in the dashboard's window of recent tasks, by state.",
            labels=["state"],
        )
        for state in STATES:
            tasks.add_metric([state], by_state.get(state, 0))
        yield tasks

    def _workers(self) -> Iterator[Metric]:
        state = self._dashboard.state
        now = state.now()
        workers = GaugeMetricFamily(
            "kafkatask_dashboard_workers", "Known workers, by status.", labels=["status"]
        )
        listed = state.workers()
        online = sum(1 for w in listed if w.online(now, state.heartbeat_interval))
        workers.add_metric(["online"], online)
        workers.add_metric(["offline"], len(listed) - online)
        yield workers

    def _lag(self) -> Iterator[Metric]:
        snapshot = self._dashboard.lag.snapshot()
        lag = GaugeMetricFamily(
            "kafkatask_consumer_lag",
            "Records not yet committed by a consumer group, per partition.",
            labels=["group", "topic", "partition"],
        )
        for group in snapshot.groups:
            for p in group.partitions:
                lag.add_metric([group.group or "", p.topic, str(p.partition)], p.lag)
        yield lag
        yield GaugeMetricFamily(
            "kafkatask_consumer_lag_collected_timestamp_seconds",
            "When the consumer lag was last asked of Kafka (0: never).",
            value=snapshot.taken_at if snapshot.error is None else 0,
        )


def dashboard_registry(dashboard: Dashboard) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(DashboardCollector(dashboard))
    return registry
