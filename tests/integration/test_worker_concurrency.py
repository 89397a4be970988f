"""Bounded concurrency, sharing a queue between workers, and per-key ordering."""

from __future__ import annotations

import threading
import time

from kafkatask import App
from tests.helpers import wait_for


def test_eight_one_second_tasks_take_about_one_second_with_c8(app, start_worker):
    @app.task
    def sleepy(index: int) -> int:
        time.sleep(1.0)
        return index

    start_worker(app, concurrency=8)
    sleepy.delay(-1).get(timeout=60)  # the worker has joined its group and has its partitions

    began = time.monotonic()
    results = [sleepy.delay(i) for i in range(8)]
    assert [r.get(timeout=30) for r in results] == list(range(8))
    elapsed = time.monotonic() - began
    assert elapsed < 2.5, f"8 one-second tasks with -c 8 took {elapsed:.2f}s"


def test_concurrency_is_bounded(app, start_worker):
    running = 0
    peak = 0
    lock = threading.Lock()

    @app.task
    def track() -> None:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(0.2)
        with lock:
            running -= 1

    start_worker(app, concurrency=3)
    for result in [track.delay() for _ in range(12)]:
        result.get(timeout=60)
    assert peak == 3


def test_two_workers_share_a_queue(app, start_worker):
    @app.task
    def which(index: int) -> str:
        time.sleep(0.05)
        return threading.current_thread().name

    first = start_worker(app, concurrency=2, name="first")
    second = start_worker(app, concurrency=2, name="second")
    # Wait until both own partitions, so the work is split between them.
    wait_for(lambda: first.partitions() and second.partitions(), 60, "both workers' partitions")
    results = [which.apply_async((i,), key=f"k{i}") for i in range(40)]
    for result in results:
        result.get(timeout=60)
    assert first.stats.succeeded > 0
    assert second.stats.succeeded > 0
    assert first.stats.succeeded + second.stats.succeeded == 40


def test_ordered_task_runs_one_at_a_time_per_key_in_order(app, start_worker):
    log: list[tuple[str, int, str]] = []
    lock = threading.Lock()

    @app.task(ordered=True)
    def turn(conversation: str, index: int) -> None:
        with lock:
            log.append((conversation, index, "start"))
        time.sleep(0.05)
        with lock:
            log.append((conversation, index, "end"))

    start_worker(app, concurrency=8)
    results = [
        turn.apply_async((conversation, i), key=conversation)
        for i in range(6)
        for conversation in ("alice", "bob")
    ]
    for result in results:
        result.get(timeout=60)

    for conversation in ("alice", "bob"):
        mine = [(i, what) for c, i, what in log if c == conversation]
        # one at a time (start, end, start, end, ...) and in the order sent
        assert mine == [(i, what) for i in range(6) for what in ("start", "end")]
    # other keys still ran concurrently: the two conversations interleave
    first_alice_end = log.index(("alice", 0, "end"))
    assert any(c == "bob" for c, _, what in log[:first_alice_end] if what == "start")


def test_unordered_tasks_with_one_key_run_concurrently(settings, start_worker):
    app = App("unordered", settings=settings)
    running = 0
    peak = 0
    lock = threading.Lock()

    @app.task
    def work() -> None:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(0.2)
        with lock:
            running -= 1

    start_worker(app, concurrency=4)
    try:
        for result in [work.apply_async(key="same") for _ in range(8)]:
            result.get(timeout=60)
        assert peak > 1
    finally:
        app.close()
