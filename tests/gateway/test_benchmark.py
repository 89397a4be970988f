"""The gateway benchmark's quick run, as a smoke test: it runs, and its streams keep order."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.helpers import ROOT, free_port, settings_env

pytestmark = pytest.mark.integration


def test_the_quick_benchmark_runs_and_keeps_every_stream_in_order(settings):
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.gateway", "--quick", "--port", str(free_port())],
        env=settings_env(settings),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "| overhead plain p50 ms |" in done.stdout
    assert "| order violations | 0 |" in done.stdout
