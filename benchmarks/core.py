"""The core benchmark: kafkatask's round-trip latency and throughput on the local broker.

    .venv/bin/python -m benchmarks.core [--quick] [--variant NAME ...] [--output PATH]
    .venv/bin/python -m benchmarks.core --report benchmarks/results/core.json

For every variant (benchmarks/variants.py) and for kafkatask and the raw confluent-kafka
baseline (benchmarks/raw_side.py), measurements each in a process of its own with a fresh
namespace and its own worker process (benchmarks/measure.py), after a warm-up call and
PRIME_CALLS untimed ones:
- latency: `noop.delay(i).get()` 2,000 times in sequence (an echo call for the baseline);
- throughput, three rounds: 20,000 requests sent at once to one worker process (`-c 8`), then
  every reply awaited: the seconds sending took, and requests completed per second from the
  first send to the last reply.
Starts a local broker when none answers on 127.0.0.1:9092 (and stops it at the end), prints
Markdown and writes the raw numbers to benchmarks/results/core.json. Results and the method
are discussed in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from confluent_kafka.admin import AdminClient

from benchmarks import report
from benchmarks.noise import CpuTimes, others
from benchmarks.processes import run_group, tail
from benchmarks.variants import System, Variant, named
from kafkatask.local_broker import LocalBroker

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
MEASUREMENT_TIMEOUT = 600.0
"""Seconds one measurement process may take, worker start and stop included."""

_quiet = logging.getLogger("benchmarks.admin")
_quiet.addHandler(logging.NullHandler())
_quiet.propagate = False


@dataclass(frozen=True)
class Counts:
    latency: int
    throughput: int
    rounds: int
    """Throughput measurements per variant and system (the table shows their median)."""


FULL = Counts(latency=2_000, throughput=20_000, rounds=3)
QUICK = Counts(latency=200, throughput=2_000, rounds=1)
PRIME_CALLS = 400
"""Untimed calls after the warm-up, enough to take every new partition past ~4 KB."""


def main() -> None:
    args = _arguments()
    if args.report is not None:
        document = json.loads(args.report.read_text())
        print(_markdown(document, [Variant.described(v) for v in document["variants"]]))
        return
    variants = named(args.variant)
    if args.system:
        variants = [
            replace(v, systems=tuple(s for s in v.systems if s in args.system)) for v in variants
        ]
        variants = [v for v in variants if v.systems]
    counts = QUICK if args.quick else FULL
    output = args.output or RESULTS / ("core-quick.json" if args.quick else "core.json")
    broker = LocalBroker()
    started = broker.start()
    began = dt.datetime.now(dt.UTC)
    try:
        results = run_all(variants, counts, broker)
    finally:
        if started:
            broker.stop()
    document = {
        "started": began.isoformat(timespec="seconds"),
        "quick": args.quick,
        "counts": {
            "latency": counts.latency,
            "throughput": counts.throughput,
            "throughput_rounds": counts.rounds,
        },
        "prime_calls": PRIME_CALLS,
        "variants": [variant.as_dict() for variant in variants],
        "machine": report.machine(),
        "broker_started_here": started,
        "results": results,
    }
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(document, indent=2) + "\n")
    print(_markdown(document, variants))
    print(f"\nraw numbers: {output}")


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="kafkatask's core latency/throughput benchmark")
    parser.add_argument("--quick", action="store_true", help="a tenth of the calls and tasks")
    parser.add_argument(
        "--variant", action="append", default=[], help="run only this variant (repeatable)"
    )
    parser.add_argument(
        "--system",
        action="append",
        choices=["kafkatask", "raw"],
        default=[],
        help="measure only this system (repeatable) [both]",
    )
    parser.add_argument("--output", type=Path, default=None, help="where the JSON goes")
    parser.add_argument(
        "--report", type=Path, default=None, help="only print the tables of this results file"
    )
    return parser.parse_args()


@dataclass(frozen=True)
class Measurement:
    variant: Variant
    system: System
    kind: str
    count: int
    round: int = 1

    @property
    def label(self) -> str:
        label = f"{self.variant.name} / {self.system} / {self.kind}"
        return f"{label} #{self.round}" if self.kind == "throughput" else label


def plan(variants: list[Variant], counts: Counts) -> list[Measurement]:
    """Every variant, for each system it applies to: latency, then throughput."""
    measurements = []
    for variant in variants:
        calls = counts.latency
        if variant.latency_calls is not None:
            calls = min(calls, variant.latency_calls)
        for system in variant.systems:
            measurements.append(Measurement(variant, system, "latency", calls))
            measurements += [
                Measurement(variant, system, "throughput", counts.throughput, number)
                for number in range(1, counts.rounds + 1)
            ]
    return measurements


@dataclass(frozen=True)
class Bench:
    """What every measurement of a run shares."""

    bootstrap: str
    broker_pid: int | None
    """The local broker's process, whose CPU time is reported; None when not ours."""
    admin: AdminClient
    logs: Path


def run_all(variants: list[Variant], counts: Counts, broker: LocalBroker) -> list[dict[str, Any]]:
    measurements = plan(variants, counts)
    results = []
    config: dict[str, Any] = {"bootstrap.servers": broker.bootstrap, "logger": _quiet}
    admin = AdminClient(config)
    with tempfile.TemporaryDirectory(prefix="kafkatask-bench-") as logs:
        bench = Bench(broker.bootstrap, broker.pid(), admin, Path(logs))
        for number, measurement in enumerate(measurements, start=1):
            result = run_one(measurement, bench)
            if "error" in result:  # the machine is shared: one more try, both recorded
                failed = result
                result = run_one(measurement, bench)
                result["earlier_attempt"] = failed
            progress = f"[{number}/{len(measurements)}] {measurement.label}: {_progress(result)}"
            print(progress, file=sys.stderr, flush=True)
            results.append(result)
    return results


def run_one(measurement: Measurement, bench: Bench) -> dict[str, Any]:
    """One measurement process with a fresh namespace, whose topics are deleted afterwards."""
    namespace = f"bench-{uuid.uuid4().hex[:10]}"
    log = bench.logs / f"{namespace}.worker.log"
    variant = measurement.variant
    command = [
        *(sys.executable, "-m", "benchmarks.measure", measurement.system, measurement.kind),
        str(measurement.count),
        *("--prime", str(PRIME_CALLS if variant.primed else 0)),
        *("--client-env", json.dumps(variant.client_env)),
        *("--worker-env", json.dumps(variant.worker_env)),
        *("--processes", str(variant.processes)),
        *("--log", str(log)),
    ]
    result: dict[str, Any] = {
        "variant": variant.name,
        "system": measurement.system,
        "kind": measurement.kind,
        "round": measurement.round,
        "namespace": namespace,
    }
    environment = _environment(namespace, bench.bootstrap)
    began, cpu = time.monotonic(), CpuTimes.now(bench.broker_pid)
    try:
        done = run_group(command, environment, ROOT, MEASUREMENT_TIMEOUT)
    finally:
        result["elapsed_s"] = round(time.monotonic() - began, 1)
        result |= others(cpu, CpuTimes.now(bench.broker_pid))
        remove_namespace(bench.admin, namespace)
    if done.returncode == 0:
        result["stats"] = json.loads(done.stdout.strip().splitlines()[-1])
    else:
        last_lines = "\n".join(done.stderr.strip().splitlines()[-5:])
        result["error"] = f"exit {done.returncode}: {last_lines}\nworker log:\n{tail(log)}"
    return result


def _environment(namespace: str, bootstrap: str) -> dict[str, str]:
    """The inherited environment without KAFKATASK_* settings, plus the broker and namespace."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("KAFKATASK_") or name == "KAFKATASK_HOME"
    }
    return {**env, "KAFKATASK_BOOTSTRAP_SERVERS": bootstrap, "KAFKATASK_NAMESPACE": namespace}


def remove_namespace(admin: AdminClient, namespace: str) -> None:
    """Delete the measurement's topics and consumer groups, so the broker does not fill up."""
    prefix = f"{namespace}."
    try:
        topics = [t for t in admin.list_topics(timeout=10).topics if t.startswith(prefix)]
        if topics:
            for future in admin.delete_topics(topics, operation_timeout=30).values():
                future.result(timeout=30)
        listed = admin.list_consumer_groups(request_timeout=10).result(timeout=10)
        groups = [g.group_id for g in listed.valid if g.group_id.startswith(prefix)]
        if groups:
            for future in admin.delete_consumer_groups(groups, request_timeout=10).values():
                future.result(timeout=10)
    except Exception as error:  # a leftover topic must not lose the numbers measured
        print(f"could not remove namespace {namespace}: {error}", file=sys.stderr)


def _progress(result: dict[str, Any]) -> str:
    if "error" in result:
        return f"FAILED {result['error'].splitlines()[0]}"
    stats = result["stats"]
    if result["kind"] == "latency":
        numbers = f"p50 {stats['p50_ms']:.2f} ms, p99 {stats['p99_ms']:.2f} ms"
    else:
        numbers = f"{stats['per_second']:,.0f}/s, sent in {stats['send_s']:.2f} s"
    retried = ", second attempt" if "earlier_attempt" in result else ""
    others = f"others used {result['other_cpu_s']:.1f} s CPU{retried}"
    return f"{numbers} ({result['elapsed_s']:.0f} s, {others})"


def _markdown(document: dict[str, Any], variants: list[Variant]) -> str:
    counts = document["counts"]
    results = document["results"]
    sections = [
        "## Machine",
        report.machine_table(document["machine"]),
        f"## Results ({counts['latency']:,} sequential calls; {counts['throughput']:,} "
        "requests at once, one worker process, -c 8; send s and tasks/s: median of "
        f"{counts.get('throughput_rounds', 1)} rounds, with their range)",
        report.results_table(results, variants),
        "\n".join(f"- {variant.name}: {variant.about}" for variant in variants),
        "## Targets (kafkatask, default settings)",
        report.targets(results),
    ]
    failed = report.failures(results)
    if failed:
        sections += ["## Failed measurements", failed]
    return "\n\n".join(sections)


if __name__ == "__main__":
    main()
