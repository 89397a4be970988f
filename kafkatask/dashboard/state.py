"""DashboardState: everything the dashboard learned from the events topic, thread-safe.

The event reader thread feeds raw records in (`ingest`); request handlers read consistent
snapshots out. A record that does not decode, or an event that makes no sense, is skipped and
counted, never raised: one bad producer must not take the dashboard down.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from kafkatask.dashboard.rates import KIND_OF_EVENT, Percentiles, RuntimeSample, TaskRates
from kafkatask.dashboard.tasks import STATE_OF_EVENT, TaskSnapshot
from kafkatask.dashboard.window import TaskPage, TaskQuery, TaskWindow
from kafkatask.dashboard.workers import WorkerRoster, WorkerSnapshot
from kafkatask.protocol import AnyHeaders, TaskEvent, WorkerInfo, decode_events

_log = logging.getLogger("kafkatask.dashboard")
_EVENT_TYPES_KEPT = 64
"""Distinct event types counted by name; any further ones are counted as "other"."""
_FUTURE_SLACK = 300.0
"""How far ahead of the dashboard's clock an event may be (clock skew between hosts)."""
CHART_SECONDS = 900
CHART_STEP = 15


@dataclass(frozen=True)
class Activity:
    """Recent activity for the overview: rates, latency, counts and chart series."""

    succeeded_per_second: float
    failed_per_second: float
    retried_last_5m: int
    rejected_last_5m: int
    latency: Percentiles
    series: dict[str, list[float]]
    """Events per second of each kind over the last CHART_SECONDS, per CHART_STEP seconds."""


@dataclass(frozen=True)
class Bookkeeping:
    """How the dashboard itself is doing: what it read, skipped and forgot."""

    events: dict[str, int]
    """Events read, by type."""
    malformed: int
    window: int
    window_capacity: int
    evicted: int
    """Tasks that left the window to make room for newer ones."""
    workers_known: int
    caught_up: bool


class DashboardState:
    def __init__(
        self,
        window: int,
        heartbeat_interval: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._lock = threading.Lock()
        self._clock = clock
        self.heartbeat_interval = heartbeat_interval
        self._tasks = TaskWindow(window)
        self._workers = WorkerRoster(heartbeat_interval)
        self._rates = TaskRates(span=CHART_SECONDS)
        self._runtimes = RuntimeSample()
        self._events: Counter[str] = Counter()
        self.malformed = 0
        """Records skipped because they were not valid events."""
        self.caught_up = False
        """Whether the reader has read the events topic up to where it ended at start."""

    # -- writing (the event reader) ------------------------------------------------------

    def ingest(self, value: bytes | None, headers: AnyHeaders | None) -> bool:
        """Decode one events-topic record (one event or a batch) and apply its events; False
        (and counted) when it is malformed or one of its events made no sense."""
        try:
            events = decode_events(value, headers)
        except Exception:  # any codec or validation error: the record is not ours to read
            with self._lock:
                self.malformed += 1
            return False
        applied = True
        for event in events:
            applied = self._apply_safely(event) and applied
        return applied

    def _apply_safely(self, event: TaskEvent) -> bool:
        try:
            return self.apply(event)
        except Exception:  # a bug here must cost one event, not the reader thread
            _log.exception("could not apply %s event of %s", event.type, event.worker)
            with self._lock:
                self.malformed += 1
            return False

    def apply(self, event: TaskEvent) -> bool:
        """Fold one event in; False (and counted as malformed) when it makes no sense."""
        task_event = event.type in STATE_OF_EVENT
        # An event from the far future would pin a worker "online" and sort above every
        # real task for as long as it stays on the topic.
        from_the_future = event.ts > self._clock() + _FUTURE_SLACK
        if from_the_future or (
            task_event and event.task_id is None and event.type != "task-rejected"
        ):
            with self._lock:
                self.malformed += 1
            return False
        with self._lock:
            self._count(event.type)
            self._workers.apply(event)
            if task_event:
                self._apply_task_event(event)
        return True

    def _count(self, kind: str) -> None:
        if kind in self._events or len(self._events) < _EVENT_TYPES_KEPT:
            self._events[kind] += 1
        else:
            self._events["other"] += 1

    def _apply_task_event(self, event: TaskEvent) -> None:
        kind = KIND_OF_EVENT.get(event.type)
        if kind is not None:
            self._rates.add(kind, event.ts, self._clock())
        if event.runtime is not None and event.type in ("task-succeeded", "task-failed"):
            self._runtimes.add(event.runtime, event.ts)
        if event.task_id is not None:  # an undecodable record has no task id: counted only
            self._tasks.apply(event)

    # -- reading (request handlers) ------------------------------------------------------

    def task_page(self, query: TaskQuery) -> TaskPage:
        with self._lock:
            return self._tasks.select(query)

    def task(self, task_id: str) -> TaskSnapshot | None:
        with self._lock:
            return self._tasks.get(task_id)

    def choices(self) -> dict[str, list[str]]:
        """Values for the task filters: task names and workers in the window."""
        with self._lock:
            return {"names": self._tasks.names(), "workers": self._tasks.worker_ids()}

    def workers(self) -> list[WorkerSnapshot]:
        """Every known worker, online ones first."""
        now = self._clock()
        with self._lock:
            listed = self._workers.all()
        return sorted(listed, key=lambda w: (not w.online(now, self.heartbeat_interval), w.id))

    def online_workers(self) -> dict[str, WorkerInfo]:
        """The workers online now, as their latest heartbeat describes them (for the lag page's
        owners and members)."""
        now = self._clock()
        with self._lock:
            listed = self._workers.all()
        return {
            w.id: w.info
            for w in listed
            if w.info is not None and w.online(now, self.heartbeat_interval)
        }

    def worker(self, worker_id: str) -> WorkerSnapshot | None:
        with self._lock:
            return self._workers.get(worker_id)

    def tasks_by_state(self) -> dict[str, int]:
        with self._lock:
            return dict(self._tasks.counts_by_state())

    def bookkeeping(self) -> Bookkeeping:
        with self._lock:
            return Bookkeeping(
                events=dict(self._events),
                malformed=self.malformed,
                window=len(self._tasks),
                window_capacity=self._tasks.capacity,
                evicted=self._tasks.evicted,
                workers_known=len(self._workers),
                caught_up=self.caught_up,
            )

    def activity(self) -> Activity:
        now = self._clock()
        with self._lock:
            rates = self._rates
            return Activity(
                succeeded_per_second=rates.total("succeeded", 60, now) / 60,
                failed_per_second=rates.total("failed", 60, now) / 60,
                retried_last_5m=rates.total("retried", 300, now),
                rejected_last_5m=rates.total("rejected", 300, now),
                latency=self._runtimes.percentiles(since=now - 300),
                series={
                    kind: rates.series(kind, CHART_SECONDS, CHART_STEP, now)
                    for kind in ("succeeded", "failed", "retried", "rejected")
                },
            )

    def now(self) -> float:
        return self._clock()
