"""How much CPU other programs used during a measurement: the machine is shared.

Busy CPU time of the whole machine (/proc/stat), less the benchmark's own processes (children
this process has waited for) and the broker: what is left is someone else's, e.g. a test suite
running at the same time. Linux only.
"""

from __future__ import annotations

import os
import resource
from dataclasses import dataclass
from pathlib import Path

_TICK = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class CpuTimes:
    machine: float
    ours: float
    broker: float

    @classmethod
    def now(cls, broker_pid: int | None) -> CpuTimes:
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        return cls(
            machine=machine_busy(),
            ours=children.ru_utime + children.ru_stime,
            broker=process_cpu(broker_pid) if broker_pid is not None else 0.0,
        )


def others(before: CpuTimes, after: CpuTimes) -> dict[str, float]:
    """CPU seconds used meanwhile by the broker and by everything that is not the benchmark."""
    broker = after.broker - before.broker
    other = (after.machine - before.machine) - (after.ours - before.ours) - broker
    return {"broker_cpu_s": round(broker, 2), "other_cpu_s": round(max(0.0, other), 2)}


def machine_busy() -> float:
    # cpu  user nice system idle iowait irq softirq steal ...
    fields = [int(value) for value in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    idle = fields[3] + fields[4]
    return (sum(fields[:8]) - idle) / _TICK


def process_cpu(pid: int) -> float:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat.rsplit(")", 1)[1].split()
    # utime and stime: fields 14 and 15 of stat, indexes 11 and 12 after the command name
    return (int(fields[11]) + int(fields[12])) / _TICK
