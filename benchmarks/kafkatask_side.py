"""kafkatask measured from the caller: `noop.delay(i).get()` against one worker process.

Import this module only after the client's `KAFKATASK_*` variables are set: the benchmark app
reads its settings when it is created.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from confluent_kafka import KafkaException

from benchmarks.noop_app import app, noop
from benchmarks.stats import Latency, Throughput
from benchmarks.topics import wait_until_readable
from kafkatask.kafka import TopicAdmin
from kafkatask.kafka.config import common_config

WARM_UP_TIMEOUT = 60.0
CALL_TIMEOUT = 10.0


def worker_command(concurrency: int, processes: int = 1) -> list[str]:
    """`kafkatask worker -A benchmarks.noop_app -c N -P P -l warning`, from this venv."""
    kafkatask = Path(sys.executable).with_name("kafkatask")
    app_spec = "benchmarks.noop_app"
    command = [str(kafkatask), "worker", "-A", app_spec, "-c", str(concurrency), "-l", "warning"]
    return [*command, "-P", str(processes)] if processes > 1 else command


def create_topics() -> None:
    """Create the namespace's topics as the worker would, and wait until they answer."""
    settings = app.settings
    config = common_config(settings, "bench-setup")
    specs = app.topology.all([settings.default_queue])
    TopicAdmin(config, timeout=settings.connect_timeout).ensure(specs)
    wait_until_readable(config, {spec.name: spec.partitions for spec in specs})


def warm_up() -> float:
    """One call, which waits for the worker to join its group; its seconds.

    Retries a client that fails to open with "not leader for partition" (see topics.py).
    """
    began = time.perf_counter()
    deadline = time.monotonic() + WARM_UP_TIMEOUT
    while True:
        try:
            noop.delay(0).get(timeout=max(0.1, deadline - time.monotonic()))
        except KafkaException:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
        else:
            return time.perf_counter() - began


def prime(calls: int) -> None:
    """Untimed calls that take every new partition past its first ~4 KB (see measure.py)."""
    for i in range(calls):
        noop.delay(i).get(timeout=CALL_TIMEOUT)


def latency(count: int) -> Latency:
    """`count` sequential round trips."""
    samples: list[float] = []
    for i in range(count):
        began = time.perf_counter()
        value = noop.delay(i).get(timeout=CALL_TIMEOUT)
        samples.append(time.perf_counter() - began)
        _check(value, i)
    return Latency.of(samples)


def throughput(count: int, timeout: float) -> Throughput:
    """`count` tasks sent at once, then every result awaited."""
    arrivals: list[float] = []
    began = time.perf_counter()
    handles = []
    for i in range(count):
        handle = noop.delay(i)
        handle.on_ready(lambda: arrivals.append(time.perf_counter()))
        handles.append(handle)
    sent = time.perf_counter()
    deadline = time.monotonic() + timeout
    for i, handle in enumerate(handles):
        _check(handle.get(timeout=max(0.0, deadline - time.monotonic())), i)
    return Throughput(count=count, send_s=sent - began, total_s=max(arrivals) - began)


def close() -> None:
    app.close()


def _check(value: int, expected: int) -> None:
    if value != expected:
        raise AssertionError(f"noop({expected}) returned {value!r}")
