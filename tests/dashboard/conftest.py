"""Fixtures for the dashboard's page and API tests: a Dashboard fed with real TaskEvents."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from kafkatask import App
from kafkatask.dashboard import Credentials, Dashboard, create_app
from kafkatask.protocol import ErrorInfo, TaskEvent, WorkerInfo
from tests.dashboard.standins import CannedChunks, InMemoryDeadLetters, StaticLag, dead_letter

NOW = 1_767_322_800.0
WORKER = "demo@host-1:abc123"


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> float:
        return self.now


def worker_info(**changes) -> WorkerInfo:
    fields = {
        "hostname": "host-1",
        "pid": 4242,
        "queues": ["default", "high"],
        "concurrency": 8,
        "active": 1,
        "processed": 10,
        "succeeded": 8,
        "failed": 2,
        "started_at": NOW - 3600,
        "version": "0.1.0",
        "partitions": ["ns.tasks.default[0]"],
    }
    return WorkerInfo(**(fields | changes))


def lifecycle(
    task_id: str,
    name: str = "demo.add",
    *,
    ts: float = NOW - 5,
    args: str = "2, 3",
    outcome: str = "task-succeeded",
    worker: str = WORKER,
    **final,
) -> list[TaskEvent]:
    """The events of one task run: received, started, then `outcome`."""
    common = {
        "worker": worker,
        "task_id": task_id,
        "task": name,
        "queue": "default",
        "partition": 0,
        "offset": 7,
        "retries": 0,
    }
    if outcome == "task-succeeded":
        final = {"runtime": 0.012, "result": "5"} | final
    elif outcome in ("task-failed", "task-retried"):
        final = {
            "runtime": 0.02,
            "error": ErrorInfo(
                type="KeyError",
                message="'k'",
                traceback="Traceback (most recent call last):\n  ...\nKeyError: 'k'\n",
            ),
        } | final
    return [
        TaskEvent(type="task-received", ts=ts, args=args, **common),
        TaskEvent(type="task-started", ts=ts + 0.001, **common),
        TaskEvent(type=outcome, ts=ts + 0.013, **common, **final),
    ]


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def dead_letters() -> InMemoryDeadLetters:
    return InMemoryDeadLetters(
        [dead_letter(3, "dead-1"), dead_letter(4, "dead-2", task="demo.other")]
    )


@pytest.fixture
def lag() -> StaticLag:
    return StaticLag()


@pytest.fixture
def dashboard(clock, dead_letters, lag) -> Dashboard:
    app = App("unit", bootstrap_servers="127.0.0.1:1", namespace="ns")
    board = Dashboard(
        app,
        window=500,
        lag=lag,
        dead_letter_queue=dead_letters,
        clock=clock,
        credentials=Credentials(),
    )
    board.streams = CannedChunks()  # type: ignore[assignment]
    board.revoked = []  # type: ignore[attr-defined]
    board.revoke = lambda task_id, terminate: board.revoked.append((task_id, terminate))  # type: ignore[method-assign]
    return board


@pytest.fixture
def fed(dashboard) -> Dashboard:
    """The dashboard after one worker and a few tasks reported."""
    state = dashboard.state
    state.apply(TaskEvent(type="worker-online", worker=WORKER, ts=NOW - 60, info=worker_info()))
    state.apply(TaskEvent(type="worker-heartbeat", worker=WORKER, ts=NOW - 1, info=worker_info()))
    for event in lifecycle("t-ok", ts=NOW - 20):
        state.apply(event)
    for event in lifecycle("t-bad", "demo.flaky", ts=NOW - 10, outcome="task-failed"):
        state.apply(event)
    state.apply(
        TaskEvent(
            type="task-received",
            worker=WORKER,
            ts=NOW - 2,
            task_id="t-running",
            task="demo.slow",
            queue="default",
            partition=1,
            offset=3,
            retries=0,
            args="'<script>alert(1)</script>'",
        )
    )
    return dashboard


@pytest.fixture
def client(fed) -> TestClient:
    with TestClient(create_app(fed, background=False), base_url="http://localhost") as client:
        yield client
