"""The issue's numbers: a 10,000-task window renders fast, 100,000 events stay in bounded memory.

benchmarks/dashboard.py measures the same things more carefully for docs; these tests keep
them from regressing, with the issue's limit as the bound.
"""

from __future__ import annotations

import statistics
import time
import tracemalloc

from starlette.testclient import TestClient

from kafkatask import App
from kafkatask.dashboard import Credentials, Dashboard, create_app
from kafkatask.dashboard.state import DashboardState
from tests.dashboard.conftest import NOW, Clock, lifecycle
from tests.dashboard.standins import InMemoryDeadLetters, StaticLag


def _feed(state: DashboardState, tasks: int, prefix: str = "task") -> None:
    for number in range(tasks):
        outcome = "task-failed" if number % 10 == 0 else "task-succeeded"
        for event in lifecycle(
            f"{prefix}-{number:06d}",
            f"demo.t{number % 7}",
            ts=NOW - 60 + number / tasks * 50,
            outcome=outcome,
        ):
            state.apply(event)


def test_a_window_of_ten_thousand_tasks_renders_in_under_300_ms():
    app = App("scale", bootstrap_servers="127.0.0.1:1", namespace="ns")
    board = Dashboard(
        app,
        window=10_000,
        lag=StaticLag(),
        dead_letter_queue=InMemoryDeadLetters(),
        clock=Clock(),
        credentials=Credentials(),
    )
    _feed(board.state, 10_000)
    with TestClient(create_app(board, background=False), base_url="http://localhost") as client:
        times = []
        for url in (
            "/tasks",
            "/tasks?state=FAILURE",
            "/tasks?name=demo.t3&page=3",
            "/tasks?search=task-0099",
        ):
            for _ in range(3):
                began = time.perf_counter()
                assert client.get(url).status_code == 200
                times.append(time.perf_counter() - began)
    assert board.state.bookkeeping().window == 10_000
    assert statistics.median(times) < 0.3, times


def test_memory_stays_bounded_while_a_hundred_thousand_events_stream_through():
    state = DashboardState(window=10_000, heartbeat_interval=2.0, clock=Clock())
    tracemalloc.start()
    try:
        _feed(state, 10_000, prefix="first")  # 30,000 events: the window is full
        when_full = tracemalloc.get_traced_memory()[0]
        _feed(state, 33_334, prefix="then")  # 100,000 events more
        after_more = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert state.bookkeeping().window == 10_000
    assert sum(state.bookkeeping().events.values()) == 3 * (10_000 + 33_334)
    # What the full window holds is all there is: 100,000 more events add nothing lasting.
    assert after_more < when_full * 1.1, (when_full, after_more)
