"""TaskSnapshot: what the dashboard knows about one task, folded from its events.

Snapshots are immutable: each event makes a new one, so a page can render a snapshot while the
event reader moves on, without locks or copies. Every text that came from a worker is clipped
here, so a hostile or broken producer cannot make one task take unbounded memory.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from kafkatask.protocol import ErrorInfo, TaskEvent

STATE_OF_EVENT = {
    "task-received": "RECEIVED",
    "task-started": "STARTED",
    "task-succeeded": "SUCCESS",
    "task-failed": "FAILURE",
    "task-retried": "RETRY",
    "task-revoked": "REVOKED",
    "task-rejected": "REJECTED",
}
"""The task state each task event reports. REJECTED: dead-lettered when a worker took it."""

STATES = ("RECEIVED", "STARTED", "RETRY", "SUCCESS", "FAILURE", "REVOKED", "REJECTED")
FINAL_STATES = frozenset({"SUCCESS", "FAILURE", "REVOKED", "REJECTED"})

TIMELINE_LIMIT = 32
"""State changes kept per task; a task retried forever keeps its most recent ones."""
PREVIEW_LIMIT = 1_000
MESSAGE_LIMIT = 2_000
TRACEBACK_LIMIT = 20_000


def clip(text: str | None, limit: int) -> str | None:
    """`text` cut to `limit` characters (with an ellipsis), None stays None."""
    if text is None or len(text) <= limit:
        return text
    return text[: limit - 1] + "…"


def task_key(task_id: str | None) -> str:
    """The id a task is kept under: clipped, as ids come from workers (real ones fit)."""
    return clip(task_id, 256) or ""


@dataclass(frozen=True, slots=True)
class ErrorView:
    type: str
    module: str
    message: str
    traceback: str

    @classmethod
    def of(cls, error: ErrorInfo) -> ErrorView:
        return cls(
            type=clip(error.type, 200) or "",
            module=clip(error.module, 200) or "",
            message=clip(error.message, MESSAGE_LIMIT) or "",
            traceback=clip(error.traceback, TRACEBACK_LIMIT) or "",
        )


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    state: str
    ts: float
    worker: str
    retries: int | None = None
    runtime: float | None = None


@dataclass(frozen=True, slots=True)
class TaskSnapshot:
    id: str
    name: str | None
    state: str
    worker: str
    first_seen: float
    updated_at: float
    queue: str | None = None
    partition: int | None = None
    offset: int | None = None
    args: str | None = None
    result: str | None = None
    error: ErrorView | None = None
    runtime: float | None = None
    retries: int = 0
    """The highest retry count seen (0: the first run)."""
    received_at: float | None = None
    started_at: float | None = None
    finished_at: float | None = None
    stream_partition: int | None = None
    """The partition of the streams topic a streamed task sent its chunks to."""
    caller: str | None = None
    """Who sent the task (the gateway's API key name), from its `kt-caller` header."""
    timeline: tuple[TimelineEntry, ...] = ()

    @property
    def final(self) -> bool:
        return self.state in FINAL_STATES


def apply_event(current: TaskSnapshot | None, event: TaskEvent) -> TaskSnapshot:
    """The snapshot after `event` (a task event with a task id)."""
    assert event.task_id is not None
    state = STATE_OF_EVENT[event.type]
    if current is None:
        current = TaskSnapshot(
            id=task_key(event.task_id),
            name=None,
            state=state,
            worker=event.worker,
            first_seen=event.ts,
            updated_at=event.ts,
        )
    entry = TimelineEntry(state, event.ts, clip(event.worker, 256) or "", event.retries)
    entry = dataclasses.replace(entry, runtime=event.runtime)
    timeline = tuple(sorted((*current.timeline, entry), key=lambda e: e.ts))[-TIMELINE_LIMIT:]
    changes = _facts(event, state) | {
        "timeline": timeline,
        "retries": max(current.retries, event.retries or 0),
    }
    # Events of one task can come from several workers (retries), through different partitions
    # of the events topic, so they may be read out of order: the newest one sets the state.
    if event.ts >= current.updated_at:
        changes |= {"state": state, "worker": entry.worker, "updated_at": event.ts}
    return dataclasses.replace(current, **changes)


def _facts(event: TaskEvent, state: str) -> dict[str, Any]:
    """The fields this event reports, beyond the state."""
    facts: dict[str, Any] = {}
    if event.task is not None:
        facts["name"] = clip(event.task, 512)
    for name in ("queue", "partition", "offset"):
        value = getattr(event, name)
        if value is not None:
            facts[name] = clip(value, 256) if isinstance(value, str) else value
    if event.args is not None:
        facts["args"] = clip(event.args, PREVIEW_LIMIT)
    if event.result is not None:
        facts["result"] = clip(event.result, PREVIEW_LIMIT)
    if event.error is not None:
        facts["error"] = ErrorView.of(event.error)
    if event.runtime is not None:
        facts["runtime"] = event.runtime
    if event.stream_to is not None:
        facts["stream_partition"] = event.stream_to.partition
    if event.caller is not None:
        facts["caller"] = clip(event.caller, 256)
    facts |= _times(event, state)
    return facts


def _times(event: TaskEvent, state: str) -> dict[str, Any]:
    if state == "RECEIVED":
        return {"received_at": event.ts}
    if state == "STARTED":
        return {"started_at": event.ts}
    if state in FINAL_STATES:
        return {"finished_at": event.ts}
    return {}
