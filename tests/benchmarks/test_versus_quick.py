"""The Celery comparison's quick run, as a smoke test: it runs every scenario on both systems,
every result checks out, and the numbers are sane (not their size)."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from benchmarks.versus import redis_server
from benchmarks.versus.scenarios import SCENARIOS
from tests.helpers import ROOT

pytestmark = [
    pytest.mark.integration,
    pytest.mark.timeout(240),
    pytest.mark.skipif(
        not redis_server.installable(),
        reason="redis-server is not installed and there is no apt-get to install it",
    ),
]


def numbers(value: Any) -> Iterator[float]:
    """Every number in a JSON value, however deep."""
    if isinstance(value, bool):
        return
    if isinstance(value, int | float):
        yield float(value)
    elif isinstance(value, dict):
        for item in value.values():
            yield from numbers(item)
    elif isinstance(value, list):
        for item in value:
            yield from numbers(item)


def test_the_quick_comparison_runs_every_scenario_on_both_systems(
    kafka_bootstrap_servers, tmp_path
):
    output = tmp_path / "versus.json"
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.versus_celery", "--quick", "--output", str(output)],
        env={**os.environ, "KAFKATASK_BOOTSTRAP_SERVERS": kafka_bootstrap_servers},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=220,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "| figure | kafkatask | Celery + Redis | kafkatask vs Celery |" in done.stdout

    document = json.loads(output.read_text())
    runs = document["runs"]
    assert [r.get("error") for r in runs if "error" in r] == []
    assert {(r["scenario"], r["system"]) for r in runs} == {
        (scenario, system) for scenario in SCENARIOS for system in ("kafkatask", "celery")
    }
    for run in runs:
        figures = list(numbers(run["stats"]))
        assert figures, run
        assert all(math.isfinite(x) and x >= 0 for x in figures), run
        # every result was checked against what was sent (a wrong one fails the run)
        assert run["stats"]["results_checked"] >= _results(run["scenario"], document["sizes"])
        for rate in _rates(run["stats"]):
            assert rate > 0, run


def _results(scenario: str, sizes: dict[str, Any]) -> int:
    """The fewest results a scenario receives (enqueue sends tasks that no worker runs)."""
    return {
        "enqueue": 0,
        "drain": sizes["drain"],
        "throughput": sizes["throughput"],
        "round_trip": sizes["round_trip"],
        "callers": sizes["callers"] * sizes["calls_per_caller"],
        "llm_1": sizes["llm_tasks"],
        "llm_3": sizes["llm_tasks"],
        "payload": sum(sizes["payload_calls"]) + sum(sizes["payload_tasks"]),
    }[scenario]


def _rates(stats: dict[str, Any]) -> Iterator[float]:
    for key in ("per_second", "p50_ms", "wall_s"):
        if key in stats:
            yield stats[key]
    for size in stats.get("sizes", []):
        yield size["per_second"]
        yield size["round_trip"]["p50_ms"]
