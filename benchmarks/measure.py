"""One measurement in a process of its own: start a worker, warm up, measure, stop the worker.

    python -m benchmarks.measure {kafkatask,raw} {latency,throughput} COUNT \\
        [--prime CALLS] --client-env JSON --worker-env JSON --log WORKER_LOG

The namespace and the broker come from the inherited environment (KAFKATASK_NAMESPACE,
KAFKATASK_BOOTSTRAP_SERVERS); `--client-env` and `--worker-env` add the variables of one side
only. Prints one JSON object: the warm-up time and the measured numbers.

Before measuring: one warm-up call, which waits until the worker has joined its group, then
`--prime` untimed calls. On this broker, every partition of a new topic stalls its consumers
once, for about 40 ms, when its log first passes ~4 KB (`index.interval.bytes`, the first entry
of the offset index; the stall moves with that setting, and raw confluent-kafka sees the same).
Each measurement has fresh topics, so without priming its first second measures that.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.processes import background
from benchmarks.stats import Latency, Throughput

CONCURRENCY = 8
THROUGHPUT_TIMEOUT = 180.0


@dataclass(frozen=True)
class Side:
    """One system under test, ready to call: kafkatask, or the raw confluent-kafka echo."""

    warm_up: Callable[[], float]
    prime: Callable[[int], None]
    latency: Callable[[int], Latency]
    throughput: Callable[[int, float], Throughput]


@contextmanager
def kafkatask_side(worker_env: dict[str, str], log: Path, processes: int) -> Iterator[Side]:
    from benchmarks import kafkatask_side as kt  # reads the client's settings on import

    side = Side(kt.warm_up, kt.prime, kt.latency, kt.throughput)
    kt.create_topics()
    with background(kt.worker_command(CONCURRENCY, processes), worker_env, log):
        try:
            yield side
        finally:
            kt.close()


@contextmanager
def raw_side(worker_env: dict[str, str], log: Path, processes: int) -> Iterator[Side]:
    from benchmarks import raw_side as raw
    from kafkatask.settings import Settings

    settings = Settings()
    topics = raw.EchoTopics.of(settings.namespace)
    raw.create_topics(settings, topics)
    client = raw.EchoClient(settings, topics)
    side = Side(
        warm_up=lambda: raw.warm_up(client),
        prime=lambda calls: raw.prime(client, calls),
        latency=lambda count: raw.latency(client, count),
        throughput=lambda count, timeout: raw.throughput(client, count, timeout),
    )
    with background([sys.executable, "-m", "benchmarks.raw_side"], worker_env, log):
        try:
            yield side
        finally:
            client.close()


SIDES = {"kafkatask": kafkatask_side, "raw": raw_side}


def measure(side: Side, kind: str, count: int, prime: int) -> dict[str, Any]:
    warm_up = side.warm_up()
    began = time.perf_counter()
    side.prime(prime)
    primed = time.perf_counter() - began
    if kind == "latency":
        stats = side.latency(count).as_dict()
    else:
        stats = side.throughput(count, THROUGHPUT_TIMEOUT).as_dict()
    preparation = {"warm_up_s": round(warm_up, 3), "prime_calls": prime}
    return {**preparation, "prime_s": round(primed, 3), **stats}


def main() -> None:
    parser = argparse.ArgumentParser(description="One measurement; see the module's docstring.")
    parser.add_argument("system", choices=sorted(SIDES))
    parser.add_argument("kind", choices=["latency", "throughput"])
    parser.add_argument("count", type=int)
    parser.add_argument("--prime", type=int, default=0)
    parser.add_argument("--client-env", type=json.loads, default={})
    parser.add_argument("--worker-env", type=json.loads, default={})
    parser.add_argument("--log", type=Path, required=True)
    parser.add_argument("--processes", type=int, default=1, help="worker processes (kafkatask)")
    args = parser.parse_args()
    worker_env = {**os.environ, **args.worker_env}
    os.environ.update(args.client_env)
    with SIDES[args.system](worker_env, args.log, args.processes) as side:
        result = measure(side, args.kind, args.count, args.prime)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
