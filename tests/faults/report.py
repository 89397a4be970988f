"""Write docs/reliability.md from the figures the fault tests logged.

.venv/bin/pytest tests/faults && .venv/bin/python -m tests.faults.report
"""

from __future__ import annotations

import json
import os
import platform

from tests.faults.conftest import FIGURES
from tests.helpers import ROOT

SCENARIOS = [
    (
        "test_sigkill_with_100_in_flight",
        "1. A worker killed with 100 tasks in flight",
        "A worker (`-c 100`) runs 1,000 half-second tasks; after 150 results it is killed with "
        "SIGKILL and a second worker starts. Every caller gets exactly one result; the "
        "client drops "
        "the duplicate results of tasks the first worker finished but had not committed.",
    ),
    (
        "test_broker_restart_mid_run",
        "2. The broker restarts mid-run",
        "A broker of the test's own is stopped and started again (same storage) after 400 of "
        "2,000 tasks; client and worker reconnect by themselves.",
    ),
    (
        "test_poison_among_good_messages",
        "3. A poison message among 1,000 good ones",
        "One input always fails (`autoretry_for`, `max_retries=2`): it is retried twice through "
        "the delay topics, then dead-lettered with its three attempts; the 1,000 good "
        "ones complete "
        "and the worker never stops.",
    ),
    (
        "test_workers_come_and_go",
        "4. Workers added and removed during 5,000 tasks",
        "Two workers join and two leave (SIGTERM) while 5,000 tasks run. Re-runs can "
        "only come from "
        "tasks in flight on a revoked partition; the test checks re-runs <= revocations x "
        "(concurrency + prefetch).",
    ),
    (
        "test_retry_survives_every_worker_restarting",
        "5. A 5 s retry survives every worker restarting",
        "A task asks to be retried in 5 s; its only worker is killed at once and a new one starts. "
        "The retry waits in `<ns>.retry.5s`, not in a worker, and runs on the new worker.",
    ),
    (
        "test_long_task_keeps_its_partitions",
        "6. A task three times longer than max.poll.interval.ms",
        "`max.poll.interval.ms` is 3 s and the task takes 9 s: the consumer loop keeps polling "
        "while the task runs on the pool, so it runs once and the worker keeps its partitions.",
    ),
    (
        "test_frozen_worker_wakes_up_after_its_partitions_moved",
        "7. A worker frozen with SIGSTOP",
        "A worker is frozen until its session times out and another worker takes its partitions, "
        "then resumed: its late results are dropped as duplicates by the client, its stale commits "
        "are refused by the broker, and the group's committed offsets (sampled every 0.2 s) never "
        "go backwards.",
    ),
    (
        "test_every_kind_of_bad_input",
        "8. Bad input of every kind",
        "20 rounds of: wrong argument types, missing arguments, an unknown task, an oversized "
        "payload, a value without a wire form, and corrupt bytes written straight to the task "
        "topic, mixed with 10 good tasks each. Each bad input gets its clear error; "
        "every good task "
        "completes.",
    ),
]


def latest() -> dict[str, dict[str, object]]:
    runs: dict[str, dict[str, object]] = {}
    for line in FIGURES.read_text().splitlines():
        entry = json.loads(line)
        runs[str(entry["test"])] = entry
    return runs


def render(runs: dict[str, dict[str, object]]) -> str:
    lines = [
        "# Reliability: the fault tests and their figures",
        "",
        "Each scenario below is a test in `tests/faults/` that runs against a real Kafka broker "
        "(and real worker processes) in every CI run, bounded in time. The figures are those "
        "of one run of `make test` (regenerate with `.venv/bin/python -m tests.faults.report` "
        "after running the tests).",
        "",
        f"Machine: {os.cpu_count()} cores, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}.",
        "",
    ]
    for test, title, story in SCENARIOS:
        entry = runs.get(test)
        lines += [f"## {title}", "", story, ""]
        if entry is None:
            lines += ["_No figures recorded._", ""]
            continue
        lines += ["| figure | value |", "|---|---|"]
        for key, value in entry.items():
            if key in ("test", "errors"):
                continue
            lines.append(f"| {key.replace('_', ' ')} | {value} |")
        lines.append("")
        errors = entry.get("errors")
        if isinstance(errors, dict):
            lines += ["| bad input | what the caller got |", "|---|---|"]
            lines += [f"| {kind} | `{text}` |" for kind, text in errors.items()]
            lines.append("")
    return "\n".join(lines)


def main() -> None:
    (ROOT / "docs" / "reliability.md").write_text(render(latest()))


if __name__ == "__main__":
    main()
