"""WorkerRoster: every worker seen on the events topic, online until it misses heartbeats.

A worker is online while its last sign of life (an event of any type) is younger than
`missed_beats` heartbeat intervals and it has not said `worker-offline`. Offline workers are
kept for the page, up to `capacity` workers in all; the longest silent go first.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from kafkatask.dashboard.tasks import clip
from kafkatask.protocol import TaskEvent, WorkerInfo

MISSED_BEATS = 3
"""Heartbeats a worker may miss before the dashboard shows it offline."""


@dataclass(frozen=True, slots=True)
class WorkerSnapshot:
    id: str
    last_seen: float
    """The time of the worker's latest event (its own clock)."""
    stopped: bool = False
    """It said worker-offline; a later event brings it back."""
    info: WorkerInfo | None = None
    """What its latest online, heartbeat or offline event said about it."""

    def online(self, now: float, interval: float) -> bool:
        return not self.stopped and now - self.last_seen <= interval * MISSED_BEATS

    def status(self, now: float, interval: float) -> str:
        return "online" if self.online(now, interval) else "offline"


class WorkerRoster:
    def __init__(self, heartbeat_interval: float, capacity: int = 1_000) -> None:
        self.heartbeat_interval = heartbeat_interval
        self.capacity = capacity
        self._workers: dict[str, WorkerSnapshot] = {}

    def __len__(self) -> int:
        return len(self._workers)

    def apply(self, event: TaskEvent) -> None:
        """Any event is a sign of life of its worker; worker-* events describe it."""
        worker_id = clip(event.worker, 256) or ""
        known = self._workers.get(worker_id) or WorkerSnapshot(worker_id, event.ts)
        if event.ts < known.last_seen:
            return  # an older event read late says nothing new about the worker
        changes: dict[str, Any] = {"last_seen": event.ts, "stopped": False}
        if event.info is not None:
            changes["info"] = _bounded(event.info)
        if event.type == "worker-offline":
            changes["stopped"] = True
        self._workers[worker_id] = dataclasses.replace(known, **changes)
        if len(self._workers) > self.capacity:
            quietest = min(self._workers.values(), key=lambda w: w.last_seen)
            del self._workers[quietest.id]

    def all(self) -> list[WorkerSnapshot]:
        """Every worker, online ones first, then by id."""
        return sorted(self._workers.values(), key=lambda w: (w.stopped, w.id))

    def get(self, worker_id: str) -> WorkerSnapshot | None:
        return self._workers.get(worker_id)


def _bounded(info: WorkerInfo) -> WorkerInfo:
    """`info` with its lists cut to a size a page can show."""
    if len(info.partitions) <= 512 and len(info.queues) <= 64:
        return info
    return info.model_copy(update={"partitions": info.partitions[:512], "queues": info.queues[:64]})
