"""Rate-limit benchmark: a cluster-wide limit of 50/s across 5 worker processes.

    .venv/bin/python -m benchmarks.rate_limit [--quick]

Each worker gets `rate_limit="10/s"` (the cluster limit divided by the number of workers, as
the README says to do) and the task topic has 10 partitions, two per worker. 600 tasks are sent
at once, spread evenly over the partitions; the achieved rate is measured from the tasks' own
start times over the middle 80% of the run (the first and last seconds are ramp-up and
ramp-down).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import time
import uuid
from pathlib import Path

from benchmarks.processes import background
from benchmarks.runnables import RESULTS, ROOT, wait_for_members
from kafkatask.local_broker import LocalBroker

WORKERS = 5
PER_WORKER = 10.0


def measure(tasks: int, logs: Path) -> dict[str, float]:
    namespace = f"bench-rate-{uuid.uuid4().hex[:6]}"
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "KAFKATASK_BOOTSTRAP_SERVERS": os.environ.get(
            "KAFKATASK_BOOTSTRAP_SERVERS", "127.0.0.1:9092"
        ),
        "KAFKATASK_NAMESPACE": namespace,
        "KAFKATASK_TASK_PARTITIONS": str(2 * WORKERS),
        "BENCH_RATE": f"{PER_WORKER:g}/s",
    }
    os.environ.update(env)
    from benchmarks.rate_app import app, limited

    command = [
        sys.executable,
        "-m",
        "kafkatask",
        "worker",
        "-A",
        "benchmarks.rate_app",
        "-c",
        "4",
        "-l",
        "warning",
    ]
    with contextlib.ExitStack() as stack:
        for index in range(WORKERS):
            stack.enter_context(background(command, env, logs / f"rate-{index}.log"))
        limited.delay(-1).get(timeout=60)
        wait_for_members(namespace, WORKERS)
        time.sleep(1.0)  # let the warm-up's token refill: every bucket starts full
        # batch() spreads the tasks round-robin over the partitions: every worker gets as many
        starts = sorted(limited.batch(list(range(tasks))))
    app.close()
    span = starts[-1] - starts[0]
    low, high = int(0.1 * len(starts)), int(0.9 * len(starts))
    steady = (high - low) / (starts[high] - starts[low])
    target = WORKERS * PER_WORKER
    return {
        "workers": WORKERS,
        "limit_per_worker": PER_WORKER,
        "cluster_limit_per_s": target,
        "tasks": tasks,
        "achieved_steady_per_s": round(steady, 2),
        "achieved_overall_per_s": round((len(starts) - 1) / span, 2),
        "deviation_percent": round(100 * (steady - target) / target, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    quick = parser.parse_args().quick
    broker = LocalBroker()
    started = "KAFKATASK_BOOTSTRAP_SERVERS" not in os.environ and broker.start()
    logs = RESULTS / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    try:
        result = measure(250 if quick else 600, logs)
    finally:
        if started:
            broker.stop()
    (RESULTS / "rate_limit.json").write_text(json.dumps(result, indent=2))
    print("| figure | value |\n|---|---|")
    for key, value in result.items():
        print(f"| {key.replace('_', ' ')} | {value} |")


if __name__ == "__main__":
    main()
