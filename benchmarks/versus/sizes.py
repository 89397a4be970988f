"""How much each scenario sends, in a full run and in a quick (smoke) one."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

CONCURRENCY = 8
"""Worker slots (`-c`) in every scenario but the LLM-shaped one."""
LLM_CONCURRENCY = 32
"""Worker slots (`-c`) in the LLM-shaped scenario, per worker."""
CALLER_SLEEP_S = 0.010
"""How long the concurrent callers' task sleeps."""


@dataclass(frozen=True)
class Sizes:
    enqueue: int
    """No-op tasks sent, with no worker running."""
    drain: int
    """No-op tasks waiting before the worker starts."""
    throughput: int
    """No-op tasks sent at once to a running worker."""
    round_trip: int
    """Sequential `delay(i).get()` calls."""
    callers: int
    """Threads calling at the same time."""
    calls_per_caller: int
    llm_tasks: int
    payload_bytes: tuple[int, ...]
    payload_calls: tuple[int, ...]
    """Sequential echo calls per payload size."""
    payload_tasks: tuple[int, ...]
    """Echo tasks sent at once per payload size."""
    prime: int
    """Untimed calls after the warm-up, past each new partition's first ~4 KB (measure.py)."""
    rounds: int
    """Measured rounds of every scenario and system."""
    warm_up_round: bool
    """Run (and discard) one round before the measured ones."""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def of(cls, figures: dict[str, Any]) -> Sizes:
        tuples = ("payload_bytes", "payload_calls", "payload_tasks")
        values: dict[str, Any] = {k: tuple(v) if k in tuples else v for k, v in figures.items()}
        return cls(**values)


FULL = Sizes(
    enqueue=20_000,
    drain=20_000,
    throughput=20_000,
    round_trip=2_000,
    callers=64,
    calls_per_caller=40,
    llm_tasks=500,
    payload_bytes=(1_000, 10_000, 100_000, 900_000),
    payload_calls=(300, 300, 200, 100),
    payload_tasks=(1_000, 1_000, 500, 100),
    prime=400,
    rounds=3,
    warm_up_round=True,
)
QUICK = Sizes(
    enqueue=1_000,
    drain=1_000,
    throughput=1_000,
    round_trip=100,
    callers=64,
    calls_per_caller=3,
    llm_tasks=100,
    payload_bytes=(1_000, 900_000),
    payload_calls=(30, 5),
    payload_tasks=(200, 10),
    prime=50,
    rounds=1,
    warm_up_round=False,
)
