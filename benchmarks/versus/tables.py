"""The Markdown of a versus_celery results file: both systems side by side, with ratios.

Every cell is the median over the measured rounds (the warm-up round, number 0, is left out),
with the range (min-max) when there are several. The ratio compares the medians in the
direction that is better for the figure: "2.0x ahead" means kafkatask did twice as well as
Celery (twice the tasks per second, or half the milliseconds, CPU or memory).
"""

from __future__ import annotations

import os
import statistics
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

from benchmarks import report
from benchmarks.versus import schedule
from benchmarks.versus.sizes import LLM_CONCURRENCY

Stats = dict[str, Any]
Document = dict[str, Any]
SYSTEMS = ("kafkatask", "celery")
ROLES = ("worker", "client", "broker")


@dataclass(frozen=True)
class Figure:
    scenario: str
    label: str
    path: str
    """Where the figure is in a run's stats: keys (and list indexes) joined by dots."""
    better: Literal["higher", "lower"]
    digits: int | None = None
    """Decimals to show; None chooses by magnitude."""


def markdown(document: Document) -> str:
    rounds = document["sizes"]["rounds"]
    measured = f"median of {rounds} rounds, with the range" if rounds > 1 else "one round"
    sections = [
        "## Machine",
        report.machine_table(document["machine"] | _versions(document)),
        f"## kafkatask against Celery + Redis ({measured})",
        speed_table(document),
        "## CPU seconds per 1,000 tasks (medians)",
        cpu_table(document),
        "## Worker memory, MiB (medians)",
        memory_table(document),
    ]
    failed = failures(document)
    if failed:
        sections += ["## Failed runs", failed]
    return "\n\n".join(sections)


def _versions(document: Document) -> dict[str, str]:
    celery = document["celery"]
    return {
        "celery / kombu / redis-py": f"{celery['celery']} / {celery['kombu']} / {celery['redis']}",
        "redis-server": celery["redis-server"],
        "Celery prefetch multiplier": str(celery["prefetch_multiplier"]),
    }


def figures(document: Document) -> list[Figure]:
    """The rows of the main table, for the scenarios the document has."""
    sizes = document["sizes"]
    rows = [
        Figure("enqueue", f"enqueue {sizes['enqueue']:,}: tasks/s sent", "per_second", "higher"),
        Figure(
            "drain",
            f"drain {sizes['drain']:,}: tasks/s from the worker's start",
            "per_second",
            "higher",
        ),
        Figure(
            "drain", "drain: tasks/s after the first result", "after_first_per_second", "higher"
        ),
        Figure(
            "throughput", f"throughput {sizes['throughput']:,}: tasks/s", "per_second", "higher"
        ),
        *(
            Figure(
                "round_trip", f"round trip x{sizes['round_trip']:,}: {p} ms", f"{p}_ms", "lower", 2
            )
            for p in ("p50", "p90", "p99", "max")
        ),
        Figure(
            "callers",
            f"{sizes['callers']} callers of a 10 ms task: tasks/s",
            "per_second",
            "higher",
        ),
        Figure("callers", "callers: p50 ms", "p50_ms", "lower"),
        Figure("callers", "callers: p99 ms", "p99_ms", "lower"),
        *_llm_figures(sizes),
        *_payload_figures(sizes),
    ]
    present = {run["scenario"] for run in document["runs"]}
    return [row for row in rows if row.scenario in present]


def _llm_figures(sizes: Stats) -> Iterator[Figure]:
    durations = schedule.durations(sizes["llm_tasks"])
    for scenario, workers in (("llm_1", 1), ("llm_3", 3)):
        fifo = schedule.makespan(durations, workers * LLM_CONCURRENCY)
        name = f"LLM-shaped {len(durations)}, {workers} worker{'s' * (workers > 1)} x 32"
        yield Figure(scenario, f"{name}: wall s (perfect FIFO: {fifo:.2f} s)", "wall_s", "lower", 2)
        yield Figure(scenario, f"{name}: wall / FIFO schedule", "wall_over_fifo", "lower", 2)
        yield Figure(scenario, f"{name}: latest start after FIFO, s", "max_late_s", "lower", 3)
        yield Figure(scenario, f"{name}: tasks started out of order", "out_of_order", "lower", 0)


def _payload_figures(sizes: Stats) -> Iterator[Figure]:
    for index, size in enumerate(sizes["payload_bytes"]):
        name = f"payload {_kb(size)}"
        at = f"sizes.{index}"
        yield Figure("payload", f"{name}: round trip p50 ms", f"{at}.round_trip.p50_ms", "lower", 2)
        yield Figure("payload", f"{name}: tasks/s", f"{at}.per_second", "higher")


def _kb(size: int) -> str:
    return f"{size / 1000:g} KB"


def dig(stats: Stats, path: str) -> float:
    """The figure at `path` (keys and list indexes joined by dots)."""
    found: Any = stats
    for part in path.split("."):
        found = found[int(part)] if isinstance(found, list) else found[part]
    return float(found)


def speed_table(document: Document) -> str:
    lines = ["| figure | kafkatask | Celery + Redis | kafkatask vs Celery |", "|---|--:|--:|---|"]
    for row in figures(document):
        values = {system: _values(document, row.scenario, system, row.path) for system in SYSTEMS}
        cells = [_cell(values[system], row.digits) for system in SYSTEMS]
        ratio = _ratio(values["kafkatask"], values["celery"], row.better)
        lines.append(f"| {row.label} | {cells[0]} | {cells[1]} | {ratio} |")
    return "\n".join(lines)


def _usages(document: Document) -> Iterator[tuple[str, str, str]]:
    """(scenario, label, path of its usage figures) for each row of the resource tables."""
    present = {run["scenario"] for run in document["runs"]}
    for scenario in (s for s in document["scenarios"] if s in present):
        if scenario == "payload":
            for index, size in enumerate(document["sizes"]["payload_bytes"]):
                yield scenario, f"payload {_kb(size)}", f"sizes.{index}.usage"
        else:
            yield scenario, scenario, "usage"


def cpu_table(document: Document) -> str:
    header = (
        "| scenario | kafkatask worker | client | broker | Celery worker | client | redis-server "
        "| total, kafkatask vs Celery | others' CPU |"
    )
    lines = [header, "|---" + "|--:" * 6 + "|---|--:|"]
    for scenario, label, usage in _usages(document):
        cells, totals = [], {}
        for system in SYSTEMS:
            per_role = [
                _values(document, scenario, system, f"{usage}.cpu_per_1000_s.{role}")
                for role in ROLES
            ]
            cells += [_median_cell(values, 2) for values in per_role]
            totals[system] = [sum(run) for run in zip(*per_role, strict=True)]
        ratio = _ratio(totals["kafkatask"], totals["celery"], "lower")
        others = _others(document, scenario)
        lines.append(f"| {label} | {' | '.join(cells)} | {ratio} | {others} |")
    return "\n".join(lines)


def memory_table(document: Document) -> str:
    lines = [
        "| scenario | kafkatask idle | kafkatask peak | Celery idle | Celery peak "
        "| peak, kafkatask vs Celery |",
        "|---|--:|--:|--:|--:|---|",
    ]
    for scenario, label, usage in _usages(document):
        if scenario == "enqueue":
            continue  # no worker runs
        cells, peaks = [], {}
        for system in SYSTEMS:
            peaks[system] = _values(document, scenario, system, f"{usage}.worker_peak_rss_mib")
            idle = _values(document, scenario, system, "worker_idle_rss_mib")
            cells += [_median_cell(idle, 0), _median_cell(peaks[system], 0)]
        ratio = _ratio(peaks["kafkatask"], peaks["celery"], "lower")
        lines.append(f"| {label} | {' | '.join(cells)} | {ratio} |")
    return "\n".join(lines)


def _measured(document: Document, scenario: str, system: str) -> list[Stats]:
    return [
        run["stats"]
        for run in document["runs"]
        if run["scenario"] == scenario and run["system"] == system
        if run["round"] >= 1 and "stats" in run
    ]


def _values(document: Document, scenario: str, system: str, path: str) -> list[float]:
    return [dig(stats, path) for stats in _measured(document, scenario, system)]


def _number(value: float, digits: int | None) -> str:
    if digits is None:
        digits = 0 if abs(value) >= 100 else 1 if abs(value) >= 10 else 2
    return f"{value:,.{digits}f}"


def _cell(values: list[float], digits: int | None) -> str:
    if not values:
        return "-"
    cell = _number(statistics.median(values), digits)
    if len(values) > 1:
        cell += f" ({_number(min(values), digits)}-{_number(max(values), digits)})"
    return cell


def _median_cell(values: list[float], digits: int | None) -> str:
    return _number(statistics.median(values), digits) if values else "-"


def _ratio(ours: list[float], theirs: list[float], better: str) -> str:
    if not ours or not theirs:
        return "-"
    mine, other = statistics.median(ours), statistics.median(theirs)
    if mine == other:
        return "even"
    if mine <= 0 or other <= 0:
        return "-"
    ratio = mine / other if better == "higher" else other / mine
    return f"{ratio:.1f}x ahead" if ratio >= 1 else f"{1 / ratio:.1f}x behind"


def _others(document: Document, scenario: str) -> str:
    """The largest share of the machine's CPU that other programs used during the scenario."""
    cores = os.cpu_count() or 1
    shares = [
        run["other_cpu_s"] / (run["elapsed_s"] * cores)
        for run in document["runs"]
        if run["scenario"] == scenario and run["round"] >= 1 and run.get("elapsed_s")
    ]
    return f"{max(shares):.0%}" if shares else "-"


def failures(document: Document) -> str:
    return "\n".join(
        f"- {run['scenario']} / {run['system']} / round {run['round']}: {run['error']}"
        for run in document["runs"]
        if "error" in run
    )


def progress(result: dict[str, Any]) -> str:
    """One line about a finished run, for the benchmark's progress on stderr."""
    if "error" in result:
        return f"FAILED {result['error'].splitlines()[0]}"
    stats = result["stats"]
    if "per_second" in stats:
        main = f"{stats['per_second']:,.0f} tasks/s"
    elif "wall_over_fifo" in stats:
        main = (
            f"wall {stats['wall_over_fifo']:.2f}x FIFO, latest start +{stats['max_late_s']:.2f} s"
        )
    elif "p50_ms" in stats:
        main = f"p50 {stats['p50_ms']:.2f} ms, p99 {stats['p99_ms']:.2f} ms"
    else:
        main = ", ".join(f"{_kb(s['bytes'])} {s['per_second']:,.0f}/s" for s in stats["sizes"])
    retried = ", second attempt" if "earlier_attempt" in result else ""
    others = f"others used {result['other_cpu_s']:.1f} s CPU{retried}"
    return f"{main} ({result['elapsed_s']:.0f} s, {others})"
