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
        "test_broker_restart_mid_run[consumer]",
        "2. The broker restarts mid-run",
        "A broker of the test's own is stopped and started again (same storage) after 400 of "
        "2,000 tasks, away for longer than the session timeout; client and worker reconnect by "
        "themselves. Consumer group protocol.",
    ),
    (
        "test_broker_restart_mid_run[classic]",
        "2b. The same under the classic protocol",
        "The same with `group_protocol=classic`: librdkafka declares the session lost while the "
        "broker is away, so the worker rejoins and runs again what it finished meanwhile.",
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
        "test_a_thawed_worker_starts_nothing_stale",
        "7b. A worker frozen with ordered conversations in flight",
        "A worker running eight ordered conversations (25 turns each, one key each) and plain "
        "tasks is frozen with jobs held; another worker takes over and finishes everything; the "
        "first is resumed 4 s later. It confirms its assignment before anything else, finds it "
        "lost, and starts nothing: no task finished elsewhere more than 3 s before the thaw "
        "starts again, and every conversation's turns start in order, allowing only the "
        "contiguous replay from the last committed offset.",
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
    (
        "test_the_dashboard_and_a_metrics_worker_outlive_broker_restarts",
        "9. The broker restarts three times under the dashboard and a metrics-enabled worker",
        "A broker of the test's own is stopped for 6 s and started again, three times, while "
        "a worker with `--metrics-port` is scraped every 0.2 s and a dashboard collects lag "
        "every 0.5 s. Both stay up, every task completes, and both show lag again afterwards.",
    ),
    (
        "test_a_crash_in_a_rebalance_reruns_little[consumer]",
        "10a. A crash in the middle of a rebalance, consumer protocol",
        "Three workers (`-c 16`, `max_uncommitted` 200) share 400 tasks a second. One is "
        "SIGKILLed and replaced at once (the group rebalances while its session is still open), "
        "and a second one is SIGKILLed 4.5 s later. Every task completes; each crash re-ran at "
        "most `max_uncommitted` tasks, none of them finished more than a second before the "
        "kill, and the group's committed offsets never stood still for more than one 0.2 s "
        "sample.",
    ),
    (
        "test_a_crash_in_a_rebalance_reruns_little[classic]",
        "10b. The same under the classic protocol",
        "The same scenario with `group_protocol=classic`; the test checks the "
        "`max_uncommitted` bound.",
    ),
    (
        "test_a_long_task_holds_back_at_most_its_partitions_share",
        "10c. A long task at the head of a partition",
        "One worker owns four partitions with `max_uncommitted` 40 (10 each). A 6 s task heads "
        "one partition with 300 quick tasks behind it on the same partition: the worker runs "
        "the quick ones it has read, but no commit can pass the long task, so it stops reading "
        "that partition at its share. SIGKILLed then, the crash re-runs at most 10 tasks (300 "
        "without the bound).",
    ),
    (
        "test_a_worker_started_before_its_broker_waits_for_it",
        "11. A worker started before its broker",
        "A worker starts while nothing listens on its broker's port: it logs one line per "
        "attempt, connects once the broker starts (well after its connect timeout) and runs "
        "tasks. Stopped with SIGTERM while waiting it exits with 0; with `--connect-timeout` "
        "it exits with 1 and one line naming the broker, never a traceback.",
    ),
]

MARKER = "<!-- The figures below are written by tests/faults/report.py; edit above this line. -->"


def latest() -> dict[str, dict[str, object]]:
    runs: dict[str, dict[str, object]] = {}
    for line in FIGURES.read_text().splitlines():
        entry = json.loads(line)
        runs[str(entry["test"])] = entry
    return runs


def render(runs: dict[str, dict[str, object]]) -> str:
    lines = [
        MARKER,
        "",
        "## The fault tests and their figures",
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
        lines += [f"### {title}", "", story, ""]
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
    """Rewrite the figures of docs/reliability.md, below the marker; the text above stays."""
    page = ROOT / "docs" / "reliability.md"
    written, _, _ = page.read_text().partition(MARKER)
    page.write_text(written + render(latest()))


if __name__ == "__main__":
    main()
