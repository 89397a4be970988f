"""What the benchmark prints: the machine it ran on and the results as Markdown."""

from __future__ import annotations

import importlib.metadata
import os
import platform
import re
import statistics
import subprocess
from collections import defaultdict
from pathlib import Path
from typing import Any

import confluent_kafka

from benchmarks.variants import Variant
from kafkatask.local_broker import DEFAULT_KAFKA_VERSION, LocalBroker

Result = dict[str, Any]

LATENCY_TARGET_MS = 5.0
THROUGHPUT_TARGET = 5000.0


def machine() -> dict[str, str]:
    return {
        "cpu": _cpu_model(),
        "cores": str(os.cpu_count()),
        "ram": f"{_ram_gib():.1f} GiB",
        "os": f"{_os_name()}, kernel {platform.release()}",
        "python": platform.python_version(),
        "kafka": _kafka_version(),
        "confluent-kafka": importlib.metadata.version("confluent-kafka"),
        "librdkafka": confluent_kafka.libversion()[0],
        "kafkatask": _kafkatask_revision(),
    }


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _ram_gib() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) / 1024**2
    return 0.0


def _os_name() -> str:
    try:
        return platform.freedesktop_os_release()["PRETTY_NAME"]
    except OSError:
        return platform.system()


def _kafka_version() -> str:
    """The version in the running local broker's command line, else the launcher's default."""
    pid = LocalBroker().pid()
    if pid is not None:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
        found = re.search(r"kafka-(\d+\.\d+\.\d+)", cmdline)
        if found:
            return found.group(1)
    return f"{DEFAULT_KAFKA_VERSION} (the launcher's default)"


def _kafkatask_revision() -> str:
    """The git commit of the measured code, noting uncommitted changes to the package."""
    root = Path(__file__).resolve().parent.parent
    git = ["git", "-C", str(root)]
    try:
        commit = _output([*git, "rev-parse", "--short", "HEAD"])
        changed = _output([*git, "status", "--porcelain", "--", "kafkatask"])
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    return f"{commit} + uncommitted changes" if changed else commit


def _output(command: list[str]) -> str:
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout.strip()


# -- tables ----------------------------------------------------------------------------------


def machine_table(info: dict[str, str]) -> str:
    rows = [f"| {name} | {value} |" for name, value in info.items()]
    return "\n".join(["| | |", "|---|---|", *rows])


Index = dict[tuple[str, str, str], list[Result]]


def index(results: list[Result]) -> Index:
    """The results of each (variant, system, kind): one, or one per throughput round."""
    grouped: Index = defaultdict(list)
    for result in results:
        grouped[(result["variant"], result["system"], result["kind"])].append(result)
    return grouped


def results_table(results: list[Result], variants: list[Variant]) -> str:
    """One row per variant: kafkatask's latency and throughput, then the raw baseline's."""
    found = index(results)
    header = (
        "| variant | p50 ms | p99 ms | mean ms | max ms | send s | tasks/s "
        "| raw p50 ms | raw p99 ms | raw mean ms | raw max ms | raw send s | raw msgs/s "
        "| others' CPU |"
    )
    lines = [header, "|---" + "|--:" * 13 + "|"]
    for variant in variants:
        cells = [_variant_label(variant)]
        row: list[Result] = []
        for system in ("kafkatask", "raw"):
            latency = found.get((variant.name, system, "latency"), [])
            throughput = found.get((variant.name, system, "throughput"), [])
            cells += _latency_cells(latency) + _throughput_cells(throughput)
            row += latency + throughput
        cells.append(_others_share(row))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _others_share(results: list[Result]) -> str:
    """The largest share of the machine's CPU that other programs used during these."""
    cores = os.cpu_count() or 1
    shares = [r["other_cpu_s"] / (r["elapsed_s"] * cores) for r in results if r.get("elapsed_s")]
    return f"{max(shares):.0%}" if shares else "-"


def _variant_label(variant: Variant) -> str:
    if variant.latency_calls is not None:
        return f"{variant.name} (latency: {variant.latency_calls} calls)"
    return variant.name


def _latency_cells(results: list[Result]) -> list[str]:
    keys = ("p50_ms", "p99_ms", "mean_ms", "max_ms")
    stats = _succeeded(results)
    if not stats:
        return [_missing(results)] * len(keys)
    return [f"{stats[0][key]:.2f}" for key in keys]


def _throughput_cells(results: list[Result]) -> list[str]:
    """Medians over the rounds; the tasks/s cell also shows the range when there are several."""
    stats = _succeeded(results)
    if not stats:
        return [_missing(results)] * 2
    send = statistics.median(s["send_s"] for s in stats)
    rates = [s["per_second"] for s in stats]
    rate = f"{statistics.median(rates):,.0f}"
    if len(rates) > 1:
        rate += f" ({min(rates):,.0f}-{max(rates):,.0f})"
    return [f"{send:.2f}", rate]


def _succeeded(results: list[Result]) -> list[dict[str, Any]]:
    return [r["stats"] for r in results if "stats" in r]


def _missing(results: list[Result]) -> str:
    return "failed" if results else "-"


def median_rate(results: list[Result], variant: str, system: str) -> float | None:
    stats = _succeeded(index(results).get((variant, system, "throughput"), []))
    return statistics.median(s["per_second"] for s in stats) if stats else None


def targets(results: list[Result]) -> str:
    """Whether kafkatask's default configuration meets the latency and throughput targets."""
    latency = _succeeded(index(results).get(("default", "kafkatask", "latency"), []))
    rate = median_rate(results, "default", "kafkatask")
    lines = []
    if latency:
        p50 = latency[0]["p50_ms"]
        met = "met" if p50 <= LATENCY_TARGET_MS else "NOT met"
        lines.append(f"- p50 <= {LATENCY_TARGET_MS:g} ms: {p50:.2f} ms, {met}")
    if rate is not None:
        met = "met" if rate >= THROUGHPUT_TARGET else "NOT met"
        lines.append(f"- >= {THROUGHPUT_TARGET:,.0f} tasks/s: {rate:,.0f} tasks/s (median), {met}")
    return "\n".join(lines)


def failures(results: list[Result]) -> str:
    failed = [r for r in results if "error" in r]
    return "\n".join(
        f"- {r['variant']} / {r['system']} / {r['kind']}: {r['error']}" for r in failed
    )
