"""Ordered tasks keep their key's order through retries, etas and rate limits."""

from __future__ import annotations

import threading
import time

from tests.integration.test_retries import FlakyError


def test_a_retried_ordered_task_keeps_its_place_while_later_tasks_of_its_key_wait(
    app, start_worker
):
    # Given an ordered task whose first turn fails twice before it succeeds
    log: list[tuple[int, int]] = []
    lock = threading.Lock()

    @app.task(ordered=True, autoretry_for=(FlakyError,), max_retries=3, default_retry_delay=0.3)
    def turn(index: int) -> int:
        with lock:
            attempt = sum(1 for i, _ in log if i == index)
            log.append((index, attempt))
        if index == 0 and attempt < 2:
            raise FlakyError(f"turn 0, attempt {attempt} fails")
        return index

    start_worker(app, concurrency=8)

    # When four turns of one conversation are sent together
    handles = [turn.apply_async((i,), key="alice") for i in range(4)]

    # Then the later turns waited for the first through both of its retries
    assert [h.get(timeout=60) for h in handles] == [0, 1, 2, 3]
    assert log == [(0, 0), (0, 1), (0, 2), (1, 0), (2, 0), (3, 0)]
    assert handles[0].retries == 2


def test_an_ordered_task_waiting_for_its_eta_is_not_overtaken(app, start_worker):
    started: list[int] = []

    @app.task(ordered=True)
    def turn(index: int) -> int:
        started.append(index)
        return index

    start_worker(app, concurrency=8)
    assert turn.apply_async((-1,), key="bob").get(timeout=60) == -1  # the worker is up

    # The first turn is due in 0.5 s (it waits in the worker); the next is due now
    later = turn.apply_async((0,), key="bob", countdown=0.5)
    now = turn.apply_async((1,), key="bob")
    began = time.monotonic()
    assert now.get(timeout=30) == 1
    assert time.monotonic() - began >= 0.4  # it waited for the first turn
    assert later.get(timeout=30) == 0
    assert started == [-1, 0, 1]
