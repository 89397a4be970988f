"""CPU seconds and resident memory of a scenario's processes, read from /proc (Linux).

CPU is utime + stime of /proc/PID/stat (all of a process's threads), read before and after the
measured part of a scenario, for three roles: the worker process(es), the client (the process
running the scenario) and the broker (Kafka's JVM or redis-server). Memory is VmRSS (now) and
VmHWM (the peak since the process started) of /proc/PID/status.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks.noise import process_cpu

Roles = dict[str, float]


def memory_mib(pid: int, field: str) -> float:
    """`VmRSS` or `VmHWM` of the process, in MiB (0 when it is gone)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    for line in status.splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return 0.0


class Meter:
    """CPU seconds per role between `start` and `stop`, and the workers' peak memory."""

    def __init__(self, broker: int | None) -> None:
        self._broker = broker
        self._before: Roles = {}

    def _now(self, workers: Sequence[int]) -> Roles:
        return {
            "worker": sum(process_cpu(pid) for pid in workers),
            "client": process_cpu(os.getpid()),
            "broker": process_cpu(self._broker) if self._broker is not None else 0.0,
        }

    def start(self, workers: Sequence[int]) -> None:
        """`workers`: the worker processes already running (none for a worker started later)."""
        self._before = self._now(workers)

    def stop(self, workers: Sequence[int], tasks: int) -> dict[str, Any]:
        """What the roles spent since `start`, for `tasks` tasks; call while workers still run."""
        after = self._now(workers)
        peak = max((memory_mib(pid, "VmHWM") for pid in workers), default=0.0)
        spent = {role: after[role] - self._before[role] for role in after}
        return {
            "tasks": tasks,
            "cpu_s": {role: round(seconds, 2) for role, seconds in spent.items()},
            "cpu_per_1000_s": {
                role: round(1000 * seconds / tasks, 4) for role, seconds in spent.items()
            },
            "worker_peak_rss_mib": round(peak, 1),
        }
