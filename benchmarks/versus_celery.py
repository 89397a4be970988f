"""kafkatask side by side with Celery + Redis: the same tasks, workers and clients, in one run.

    .venv/bin/python -m benchmarks.versus_celery [--quick] [--scenario NAME ...] [--output PATH]
    .venv/bin/python -m benchmarks.versus_celery --report benchmarks/results/versus_celery.json

The scenarios (benchmarks/versus/scenarios.py): sending 20,000 tasks; draining 20,000 waiting
ones; 20,000 to a running worker; 2,000 sequential round trips; 64 concurrent callers of a
10 ms task; 500 LLM-shaped tasks on one and on three workers of 32 slots, against a perfect
FIFO schedule; echo payloads of 1 KB to 900 KB. Both systems run the same task bodies
(benchmarks/versus/bodies.py) on one worker process of 8 slots unless the scenario says
otherwise: kafkatask's default worker, and Celery's threads pool with late acks and Redis as
broker and result backend (benchmarks/versus/celery_app.py).

Why this shape: each system's numbers are measured in the same minutes as the other's, so a
busy or drifting machine hits both. Every scenario runs round by round, kafkatask then Celery
in each round, each time in a new process with fresh workers and a fresh broker side (a new
kafkatask namespace, an emptied Redis); a first round is run and discarded, and the tables show
the median and the range of the measured rounds. For each, CPU seconds per 1,000 tasks of the
workers, the client and the broker, and the workers' idle and peak resident memory.

Starts what it needs: the local Kafka broker when none answers (unless
KAFKATASK_BOOTSTRAP_SERVERS names one), Debian's redis-server on a free loopback port
(installed with apt-get when missing), and Celery in a virtualenv of its own
(benchmarks/versus/celery_venv.py); stops what it started. Prints Markdown tables
(benchmarks/versus/tables.py) and writes the raw numbers to
benchmarks/results/versus_celery.json. Results and method: docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from confluent_kafka.admin import AdminClient

from benchmarks import report
from benchmarks.core import remove_namespace
from benchmarks.noise import CpuTimes, machine_busy, others, process_cpu
from benchmarks.processes import pid_listening, run_group, tail
from benchmarks.versus import celery_venv, redis_server, tables
from benchmarks.versus.scenarios import SCENARIOS
from benchmarks.versus.sizes import FULL, QUICK, Sizes
from kafkatask.local_broker import LocalBroker, broker_answers

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
LOGS = RESULTS / "logs" / "versus"
SYSTEMS = ("kafkatask", "celery")
RUN_TIMEOUT = {False: 900.0, True: 180.0}
"""Seconds one scenario process may take, in a full run and in a quick one."""


def main() -> None:
    args = _arguments()
    if args.report is not None:
        print(tables.markdown(json.loads(args.report.read_text())))
        return
    sizes = QUICK if args.quick else FULL
    scenarios = args.scenario or list(SCENARIOS)
    output = args.output or RESULTS / (
        "versus_celery-quick.json" if args.quick else "versus_celery.json"
    )
    began = dt.datetime.now(dt.UTC)
    LOGS.mkdir(parents=True, exist_ok=True)
    with _services(args.celery_prefetch_multiplier) as bench:
        runs = run_all(bench, scenarios, sizes, RUN_TIMEOUT[args.quick])
        document = {
            "started": began.isoformat(timespec="seconds"),
            "finished": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "quick": args.quick,
            "sizes": sizes.as_dict(),
            "scenarios": scenarios,
            "machine": report.machine() | {"kafka": _kafka_version(bench.kafka_pid)},
            "celery": bench.versions | {"prefetch_multiplier": bench.prefetch_multiplier},
            "broker_started_here": bench.broker_started,
            "runs": runs,
        }
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(document, indent=2) + "\n")
    print(tables.markdown(document))
    print(f"\nraw numbers: {output}")


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="kafkatask against Celery + Redis")
    parser.add_argument(
        "--quick", action="store_true", help="a smoke run: small sizes, one round, no warm-up"
    )
    parser.add_argument(
        "--scenario",
        action="append",
        choices=list(SCENARIOS),
        default=[],
        help="run only this scenario (repeatable)",
    )
    parser.add_argument("--output", type=Path, default=None, help="where the JSON goes")
    parser.add_argument(
        "--report", type=Path, default=None, help="only print the tables of this results file"
    )
    parser.add_argument(
        "--celery-prefetch-multiplier",
        type=int,
        default=1,
        help="Celery's worker_prefetch_multiplier [1]",
    )
    return parser.parse_args()


@dataclass(frozen=True)
class Bench:
    """What every run shares: both brokers, Celery's interpreter, the admin client."""

    bootstrap: str
    kafka_pid: int | None
    broker_started: bool
    redis: redis_server.RedisServer
    celery_python: Path
    versions: dict[str, str]
    prefetch_multiplier: int
    admin: AdminClient


@contextmanager
def _services(prefetch_multiplier: int) -> Iterator[Bench]:
    """Kafka (started when none answers), redis-server and Celery's virtualenv, for the block."""
    configured = os.environ.get("KAFKATASK_BOOTSTRAP_SERVERS", "").strip()
    broker = LocalBroker()
    if configured and not broker_answers(configured, timeout=10.0):
        raise SystemExit(f"KAFKATASK_BOOTSTRAP_SERVERS={configured} does not answer")
    started = not configured and broker.start()
    bootstrap = configured or broker.bootstrap
    python = celery_venv.ensure()
    try:
        with redis_server.running(LOGS) as redis:
            yield Bench(
                bootstrap=bootstrap,
                kafka_pid=_local_pid(bootstrap),
                broker_started=started,
                redis=redis,
                celery_python=python,
                versions=celery_venv.versions(python) | {"redis-server": redis.version},
                prefetch_multiplier=prefetch_multiplier,
                admin=AdminClient({"bootstrap.servers": bootstrap}),
            )
    finally:
        if started:
            broker.stop()


def _local_pid(bootstrap: str) -> int | None:
    host, _, port = bootstrap.split(",", maxsplit=1)[0].rpartition(":")
    if host not in ("127.0.0.1", "localhost"):
        return None
    return pid_listening(int(port))


def _kafka_version(pid: int | None) -> str:
    if pid is None:
        return "unknown (not a local process)"
    command = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    found = [part for part in command.split("/") if part.startswith("kafka-")]
    return found[0].removeprefix("kafka-") if found else "unknown"


@dataclass(frozen=True)
class Planned:
    scenario: str
    round: int
    """0 for the warm-up round, whose numbers are kept but left out of the tables."""
    system: str

    @property
    def label(self) -> str:
        return f"{self.scenario} / {self.system} / round {self.round}"


def plan(scenarios: list[str], sizes: Sizes) -> list[Planned]:
    """Scenario by scenario; in each, round by round; in each round, kafkatask then Celery."""
    first = 0 if sizes.warm_up_round else 1
    return [
        Planned(scenario, number, system)
        for scenario in scenarios
        for number in range(first, sizes.rounds + 1)
        for system in SYSTEMS
    ]


def run_all(
    bench: Bench, scenarios: list[str], sizes: Sizes, timeout: float
) -> list[dict[str, Any]]:
    planned = plan(scenarios, sizes)
    runs = []
    for number, run in enumerate(planned, start=1):
        result = run_one(bench, run, sizes, timeout)
        if "error" in result:  # the machine is shared: one more try, both recorded
            failed = result
            result = run_one(bench, run, sizes, timeout)
            result["earlier_attempt"] = failed
        print(
            f"[{number}/{len(planned)}] {run.label}: {tables.progress(result)}",
            file=sys.stderr,
            flush=True,
        )
        runs.append(result)
    return runs


def run_one(bench: Bench, run: Planned, sizes: Sizes, timeout: float) -> dict[str, Any]:
    """One scenario process; its figures, or the error it ended with."""
    namespace = f"versus-{uuid.uuid4().hex[:10]}"
    logs = LOGS / f"{run.scenario}-{run.system}-{run.round}-{namespace}"
    logs.mkdir(parents=True)
    kafkatask = run.system == "kafkatask"
    python = sys.executable if kafkatask else str(bench.celery_python)
    broker_pid = bench.kafka_pid if kafkatask else bench.redis.pid
    command = [
        *(python, "-m", "benchmarks.versus.drive", run.system, run.scenario),
        *("--sizes", json.dumps(sizes.as_dict()), "--logs", str(logs)),
        *(("--broker-pid", str(broker_pid)) if broker_pid is not None else ()),
    ]
    result: dict[str, Any] = {
        "scenario": run.scenario,
        "system": run.system,
        "round": run.round,
        "namespace": namespace if kafkatask else None,
    }
    began, cpu = time.monotonic(), _cpu_times(bench)
    try:
        done = run_group(command, _environment(bench, run.system, namespace), ROOT, timeout)
    finally:
        result["elapsed_s"] = round(time.monotonic() - began, 1)
        result |= others(cpu, _cpu_times(bench))
        if kafkatask:
            remove_namespace(bench.admin, namespace)
    if done.returncode == 0:
        result["stats"] = json.loads(done.stdout.strip().splitlines()[-1])
    else:
        last_lines = "\n".join(done.stderr.strip().splitlines()[-8:])
        worker_logs = "\n".join(f"{log.name}:\n{tail(log)}" for log in sorted(logs.glob("*.log")))
        result["error"] = f"exit {done.returncode}: {last_lines}\n{worker_logs}"
    return result


def _cpu_times(bench: Bench) -> CpuTimes:
    """The machine's busy time, ours (this process and the children it waited for), and both
    brokers' together: what is left of the busy time is other programs'."""
    ours = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    brokers = [pid for pid in (bench.kafka_pid, bench.redis.pid) if pid is not None]
    return CpuTimes(
        machine=machine_busy(),
        ours=sum(usage.ru_utime + usage.ru_stime for usage in ours),
        broker=sum(process_cpu(pid) for pid in brokers),
    )


def _environment(bench: Bench, system: str, namespace: str) -> dict[str, str]:
    """The inherited environment without KAFKATASK_* settings, plus what the system needs."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("KAFKATASK_") or name == "KAFKATASK_HOME"
    }
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    if system == "kafkatask":
        return env | {
            "KAFKATASK_BOOTSTRAP_SERVERS": bench.bootstrap,
            "KAFKATASK_NAMESPACE": namespace,
        }
    return env | {
        "VERSUS_REDIS_URL": bench.redis.url,
        "VERSUS_CELERY_PREFETCH_MULTIPLIER": str(bench.prefetch_multiplier),
    }


if __name__ == "__main__":
    main()
