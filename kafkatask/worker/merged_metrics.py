"""MergedMetrics: one /metrics for every worker process of a supervisor.

Each child serves its own metrics (metrics.py) on a loopback port; at every scrape the
supervisor reads them all and serves their union, each sample labelled with the `process` it
came from (Prometheus' own multiprocess mode needs every metric kept in shared files, while a
worker's metrics are read from its live state). A child that does not answer (it is starting
again) is left out of that scrape.
"""

from __future__ import annotations

import logging
import urllib.request
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.registry import Collector

if TYPE_CHECKING:
    from wsgiref.simple_server import WSGIServer

    from kafkatask.worker.supervisor import Supervisor

_log = logging.getLogger("kafkatask.worker")
_SCRAPE_TIMEOUT = 5.0


class ChildrenCollector(Collector):
    """The metrics of every child, merged, and the supervisor's own."""

    def __init__(self, supervisor: Supervisor, read: Callable[[int], str]) -> None:
        self._supervisor = supervisor
        self._read = read

    def collect(self) -> Iterator[Metric]:
        merged: dict[str, Metric] = {}
        for index, port in self._supervisor.metrics_ports():
            try:
                text = self._read(port)
            except OSError as error:
                _log.debug("worker process %d left out of this scrape: %s", index, error)
                continue
            for family in text_string_to_metric_families(text):
                target = merged.setdefault(
                    family.name, Metric(family.name, family.documentation, family.type)
                )
                for sample in family.samples:
                    labels = {**sample.labels, "process": str(index)}
                    target.add_sample(sample.name, labels, sample.value)
        yield from merged.values()
        yield from self._own()

    def _own(self) -> Iterator[Metric]:
        children = self._supervisor.children
        yield GaugeMetricFamily(
            "kafkatask_supervisor_processes",
            "Worker processes running under this supervisor.",
            value=sum(child.process is not None for child in children),
        )
        yield CounterMetricFamily(
            "kafkatask_supervisor_restarts",
            "Worker processes started again after they died.",
            value=sum(child.restarts for child in children),
        )


def read_metrics(port: int) -> str:
    url = f"http://127.0.0.1:{port}/metrics"
    with urllib.request.urlopen(url, timeout=_SCRAPE_TIMEOUT) as answer:
        body: bytes = answer.read()
    return body.decode()


class MergedMetrics:
    """Serves the children's merged metrics on `port` from `start` until `stop`."""

    def __init__(self, supervisor: Supervisor, port: int, host: str) -> None:
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(ChildrenCollector(supervisor, read_metrics))
        self.port = port
        self._host = host
        self._server: WSGIServer | None = None

    def start(self) -> None:
        self._server, _ = start_http_server(self.port, self._host, registry=self.registry)
        self.port = self._server.server_port
        _log.info("metrics of every worker process on http://%s:%d/metrics", self._host, self.port)

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
