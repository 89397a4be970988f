"""What a scenario needs from a task system: the interface both clients implement.

A scenario (benchmarks/versus/scenarios.py) is written once against it; kafkatask_client.py and
celery_client.py put each system's own calls behind it, so the two differ only where the
systems do.
"""

from __future__ import annotations

from typing import Any, Protocol


class TaskClient(Protocol):
    name: str
    """"kafkatask" or "celery"."""

    def prepare(self) -> None:
        """Make the broker side of a fresh run ready: new topics, or an empty Redis."""

    def worker_command(self, concurrency: int, index: int) -> list[str]:
        """The command line of worker number `index` with `concurrency` slots."""

    def warm_up(self, timeout: float) -> None:
        """One call that returns once a worker has started and answered."""

    def wait_for_workers(self, count: int, timeout: float) -> None:
        """Wait until `count` workers take tasks (each owns partitions, or answers a ping)."""

    def send(self, task: str, *args: Any) -> Any:
        """`task.delay(*args)`: a handle for the result."""

    def result(self, handle: Any, timeout: float) -> Any:
        """`handle.get(timeout=timeout)`."""

    def finish_sending(self) -> None:
        """Wait until the broker holds every task sent; the client sends nothing afterwards."""

    def close(self) -> None:
        """Release the client's connections (idempotent)."""
