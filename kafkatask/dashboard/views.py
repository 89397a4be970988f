"""The data behind every page, as plain JSON-ready dicts: the JSON API returns exactly these,
and the HTML pages render them (so the API and the pages never disagree)."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from confluent_kafka import KafkaException

from kafkatask.dashboard.dead_letters import DeadLetterList
from kafkatask.dashboard.lag import LagSnapshot
from kafkatask.dashboard.services import Dashboard
from kafkatask.dashboard.state import CHART_STEP
from kafkatask.dashboard.tasks import clip
from kafkatask.dashboard.window import TaskQuery
from kafkatask.dashboard.workers import WorkerSnapshot
from kafkatask.dlq import DeadLetterEntry
from kafkatask.exceptions import KafkaTaskError
from kafkatask.protocol import TaskMessage, decode

_ORIGINAL_LIMIT = 20_000


def overview(dashboard: Dashboard) -> dict[str, Any]:
    """Blocking (it may read the dead-letter topic): call it off the event loop."""
    state = dashboard.state
    activity = state.activity()
    workers = [worker(w, dashboard) for w in state.workers()]
    online = [w for w in workers if w["status"] == "online"]
    lag = dashboard.lag.snapshot()
    return {
        "activity": dataclasses.asdict(activity) | {"chart_step": CHART_STEP},
        "workers": {
            "online": len(online),
            "offline": len(workers) - len(online),
            "active_tasks": sum(w["active"] or 0 for w in online),
        },
        "tasks_by_state": state.tasks_by_state(),
        "dead_letters": dead_letter_count(dashboard),
        "lag": {"total": lag.total, "taken_at": lag.taken_at, "error": lag.error},
        "lag_history": dashboard.lag.history(),
        "dashboard": dataclasses.asdict(state.bookkeeping()),
    }


def dead_letter_count(dashboard: Dashboard) -> dict[str, Any]:
    try:
        listing = dashboard.dead_letters.listing(max_age=10.0)
    except (KafkaTaskError, KafkaException) as error:
        return {"unresolved": None, "error": str(error)}
    return {"unresolved": listing.unresolved, "error": None}


def worker(snapshot: WorkerSnapshot, dashboard: Dashboard) -> dict[str, Any]:
    state = dashboard.state
    info = snapshot.info
    described = info.model_dump(mode="json") if info is not None else {}
    return {
        "id": snapshot.id,
        "status": snapshot.status(state.now(), state.heartbeat_interval),
        "last_seen": snapshot.last_seen,
        **{name: described.get(name) for name in _WORKER_FIELDS},
    }


_WORKER_FIELDS = (
    "hostname",
    "pid",
    "queues",
    "concurrency",
    "active",
    "processed",
    "succeeded",
    "failed",
    "started_at",
    "version",
    "partitions",
)


def workers(dashboard: Dashboard) -> dict[str, Any]:
    return {
        "heartbeat_interval": dashboard.state.heartbeat_interval,
        "workers": [worker(w, dashboard) for w in dashboard.state.workers()],
    }


def task_list(dashboard: Dashboard, query: TaskQuery) -> dict[str, Any]:
    page = dashboard.state.task_page(query)
    return {
        "total": page.total,
        "query": dataclasses.asdict(query),
        "tasks": [dataclasses.asdict(task) for task in page.tasks],
    }


def task_detail(dashboard: Dashboard, task_id: str) -> dict[str, Any] | None:
    task = dashboard.state.task(task_id)
    return None if task is None else dataclasses.asdict(task)


def queues(dashboard: Dashboard) -> dict[str, Any]:
    return lag(dashboard.lag.snapshot()) | {
        "history": dashboard.lag.history(),
        "interval": dashboard.lag.interval,
    }


def lag(snapshot: LagSnapshot) -> dict[str, Any]:
    return {
        "taken_at": snapshot.taken_at,
        "error": snapshot.error,
        "total": snapshot.total,
        "groups": [
            {
                "group": group.group,
                "state": group.state,
                "members": group.members,
                "total": group.total,
                "partitions": [dataclasses.asdict(p) for p in group.partitions],
            }
            for group in snapshot.groups
        ],
    }


def dead_letters(listing: DeadLetterList) -> dict[str, Any]:
    return {
        "read_at": listing.read_at,
        "total": listing.total,
        "unresolved": listing.unresolved,
        "dead_letters": [dead_letter(entry, full=False) for entry in listing.entries],
    }


def dead_letter(entry: DeadLetterEntry, full: bool = True) -> dict[str, Any]:
    letter = entry.letter
    described: dict[str, Any] = {
        "offset": entry.offset,
        "status": entry.status,
        "reason": letter.reason,
        "task_id": letter.task_id,
        "task": letter.task,
        "worker": letter.worker,
        "dead_at": letter.dead_at,
        "error": letter.error.model_dump(mode="json"),
        "source": letter.source.model_dump(mode="json"),
        "attempts": len(letter.attempts),
    }
    if not full:
        described["error"].pop("traceback", None)
        return described
    described["attempts"] = [a.model_dump(mode="json") for a in letter.attempts]
    described["original"] = original_request(entry)
    return described


def original_request(entry: DeadLetterEntry) -> str:
    """The dead record as readable JSON when it is a task request, else its raw bytes."""
    value, headers = entry.letter.original_record()
    try:
        request = decode(TaskMessage, value, headers)
        text = json.dumps(request.model_dump(mode="json"), indent=2, ensure_ascii=False)
    except Exception:  # undecodable is why many letters are here: show the bytes instead
        text = repr(value)
    return clip(text, _ORIGINAL_LIMIT) or ""
