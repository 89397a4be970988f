"""Runnable benchmarks: Runnables served through Kafka next to the same Runnables run locally.

    .venv/bin/python -m benchmarks.runnables [--quick]

1. Time to first chunk of a fake streaming chat model: local `model.stream()` vs the same model
   served by a worker (`task.stream()`), after untimed priming calls (see benchmarks/measure.py
   on a new partition's first ~4 KB); the difference is kafkatask's overhead.
2. Chunk throughput of one stream: a generator yielding small chunks as fast as it can, read
   locally vs through Kafka.
3. A batch of 1,000 inputs to a 20 ms I/O-bound Runnable: one worker vs four (each `-c 4`),
   three rounds each.
4. Micro-batching: a fake model whose call costs 50 ms for one input or for a batch; one
   worker slot (`-c 1`), with and without `batch_size=4`.
Results: a Markdown table on stdout and benchmarks/results/runnables.json.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from confluent_kafka.admin import AdminClient

from benchmarks.processes import background
from kafkatask.local_broker import LocalBroker

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
ROUNDS = 3
"""Rounds of the batch fan-out per worker count (it varies the most from round to round)."""
PRIME_CALLS = 200
"""Untimed streams before the time-to-first-chunk ones, past each new partition's first 4 KB."""


def _env(namespace: str, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "KAFKATASK_BOOTSTRAP_SERVERS": os.environ.get(
            "KAFKATASK_BOOTSTRAP_SERVERS", "127.0.0.1:9092"
        ),
        "KAFKATASK_NAMESPACE": namespace,
        **extra,
    }


@contextlib.contextmanager
def workers(count: int, concurrency: int, env: dict[str, str], logs: Path) -> Iterator[None]:
    """`count` worker processes of benchmarks.runnable_app, stopped afterwards."""
    command = [
        sys.executable,
        "-m",
        "kafkatask",
        "worker",
        "-A",
        "benchmarks.runnable_app",
        "-c",
        str(concurrency),
        "-l",
        "warning",
    ]
    with contextlib.ExitStack() as stack:
        for index in range(count):
            stack.enter_context(background(command, env, logs / f"worker-{index}.log"))
        yield


def _client(namespace: str, **extra: str) -> Any:
    os.environ.update(_env(namespace, **extra))
    for module in [m for m in sys.modules if m == "benchmarks.runnable_app"]:
        del sys.modules[module]
    import benchmarks.runnable_app as client

    return client


def first_chunk(quick: bool, logs: Path) -> dict[str, Any]:
    calls = 50 if quick else 1_000
    namespace = f"bench-ttfc-{uuid.uuid4().hex[:6]}"
    client = _client(namespace)
    model = client.chat.target.runnable
    local = [_ttfc(lambda: model.stream("hi")) for _ in range(calls)]
    with workers(1, 4, _env(namespace), logs):
        next(iter(client.chat.stream("warm up")))  # group joined, topics created
        for _ in range(PRIME_CALLS):
            _ttfc(lambda: client.chat.stream("hi"))
        remote = [_ttfc(lambda: client.chat.stream("hi")) for _ in range(calls)]
    client.app.close()
    return {
        "calls": calls,
        "local_p50_ms": _ms(statistics.median(local)),
        "remote_p50_ms": _ms(statistics.median(remote)),
        "remote_p99_ms": _ms(_p99(remote)),
        "overhead_p50_ms": _ms(statistics.median(remote) - statistics.median(local)),
    }


def _ttfc(stream: Any) -> float:
    began = time.perf_counter()
    chunks = iter(stream())
    next(chunks)
    elapsed = time.perf_counter() - began
    for _ in chunks:
        pass
    return elapsed


def chunk_throughput(quick: bool, logs: Path) -> dict[str, Any]:
    count = 10_000 if quick else 50_000
    namespace = f"bench-chunks-{uuid.uuid4().hex[:6]}"
    client = _client(namespace)
    generator = client.firehose.target.runnable
    began = time.perf_counter()
    local = sum(1 for _ in generator.stream(count))
    local_rate = local / (time.perf_counter() - began)
    with workers(1, 2, _env(namespace), logs):
        list(client.firehose.stream(10))
        began = time.perf_counter()
        remote = sum(1 for _ in client.firehose.stream(count))
        remote_rate = remote / (time.perf_counter() - began)
    client.app.close()
    assert local == remote == count
    return {
        "chunks": count,
        "local_chunks_per_s": round(local_rate),
        "remote_chunks_per_s": round(remote_rate),
    }


def wait_for_members(namespace: str, members: int, timeout: float = 60.0) -> None:
    """Wait until the worker group has `members` members, each owning partitions."""
    admin = AdminClient({"bootstrap.servers": _env(namespace)["KAFKATASK_BOOTSTRAP_SERVERS"]})
    group = f"{namespace}.workers.default"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        described = admin.describe_consumer_groups([group])[group].result(timeout=10)
        owning = [m for m in described.members if m.assignment.topic_partitions]
        if len(owning) == members and str(described.state).endswith("STABLE"):
            return
        time.sleep(0.2)
    raise TimeoutError(f"{members} workers did not all get partitions within {timeout:.0f}s")


def batch_fan_out(quick: bool, logs: Path) -> dict[str, Any]:
    """The same batch through one worker and through four, ROUNDS times each (median, range)."""
    inputs = list(range(300 if quick else 1000))
    rates: dict[int, list[float]] = {}
    for count in (1, 4):
        namespace = f"bench-fanout-{count}-{uuid.uuid4().hex[:6]}"
        client = _client(namespace)
        with workers(count, 4, _env(namespace), logs):
            client.io_bound.batch(list(range(8 * count)))  # topics exist, workers are up
            wait_for_members(namespace, count)  # and the group has settled
            rates[count] = []
            for _ in range(1 if quick else ROUNDS):
                began = time.perf_counter()
                assert client.io_bound.batch(inputs) == inputs
                rates[count].append(len(inputs) / (time.perf_counter() - began))
        client.app.close()
    one, four = statistics.median(rates[1]), statistics.median(rates[4])
    return {
        "inputs": len(inputs),
        "one_worker_per_s": round(one),
        "one_worker_range": [round(min(rates[1])), round(max(rates[1]))],
        "four_workers_per_s": round(four),
        "four_workers_range": [round(min(rates[4])), round(max(rates[4]))],
        "speedup": round(four / one, 2),
    }


def micro_batching(quick: bool, logs: Path) -> dict[str, Any]:
    requests = 80 if quick else 400
    rates = {}
    for name in ("slow_single", "slow_batched"):
        namespace = f"bench-micro-{uuid.uuid4().hex[:6]}"
        client = _client(namespace)
        task = getattr(client, name)
        with workers(1, 1, _env(namespace, KAFKATASK_PREFETCH="8"), logs):
            task.invoke("warm up")
            began = time.perf_counter()
            handles = [task.apply_async((f"r{i}",)) for i in range(requests)]
            for handle in handles:
                handle.get(timeout=300)
            rates[name] = requests / (time.perf_counter() - began)
        client.app.close()
    gain = rates["slow_batched"] / rates["slow_single"]
    return {
        "requests": requests,
        "call_seconds": 0.05,
        "batch_size": 4,
        "unbatched_per_s": round(rates["slow_single"], 1),
        "batched_per_s": round(rates["slow_batched"], 1),
        "gain": round(gain, 2),
        "gain_vs_ideal": f"{100 * gain / 4:.0f}%",
    }


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


def _p99(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer calls, for a smoke run")
    quick = parser.parse_args().quick
    broker = LocalBroker()
    started = "KAFKATASK_BOOTSTRAP_SERVERS" not in os.environ and broker.start()
    logs = RESULTS / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    try:
        results = {
            "time_to_first_chunk": first_chunk(quick, logs),
            "chunk_throughput": chunk_throughput(quick, logs),
            "batch_fan_out": batch_fan_out(quick, logs),
            "micro_batching": micro_batching(quick, logs),
        }
    finally:
        if started:
            broker.stop()
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "runnables.json").write_text(json.dumps(results, indent=2))
    for name, figures in results.items():
        print(f"\n### {name}\n\n| figure | value |\n|---|---|")
        for key, value in figures.items():
            print(f"| {key.replace('_', ' ')} | {value} |")


if __name__ == "__main__":
    main()
