"""Retries with backoff through the delay topics, countdown/eta/expires, bound tasks."""

from __future__ import annotations

import datetime as dt
import itertools
import threading
import time

import pytest

from kafkatask import App, TaskState
from kafkatask.context import BoundTask
from kafkatask.dlq import DeadLetterQueue
from tests.helpers import wait_for


class FlakyError(Exception):
    pass


def test_autoretry_until_success_shows_retry_state(app, start_worker):
    calls: list[float] = []

    @app.task(autoretry_for=(FlakyError,), max_retries=3, default_retry_delay=0.3)
    def flaky() -> str:
        calls.append(time.monotonic())
        if len(calls) < 3:
            raise FlakyError(f"attempt {len(calls)} fails")
        return "third time lucky"

    start_worker(app)
    result = flaky.delay()
    wait_for(lambda: result.state == TaskState.RETRY, 30, "the RETRY state")
    assert result.get(timeout=30) == "third time lucky"
    assert result.retries == 2
    assert len(calls) == 3
    assert all(later - earlier >= 0.25 for earlier, later in itertools.pairwise(calls))


def test_after_the_last_retry_the_failure_carries_the_attempts_and_is_dead_lettered(
    app, start_worker
):
    @app.task(autoretry_for=(FlakyError,), max_retries=2, default_retry_delay=0.1)
    def always_fails(item: str) -> None:
        raise FlakyError(f"cannot process {item}")

    start_worker(app)
    result = always_fails.delay("poison")
    with pytest.raises(FlakyError, match="cannot process poison") as raised:
        result.get(timeout=30)
    assert result.retries == 2
    assert any("failed after 3 attempts (2 retries)" in note for note in raised.value.__notes__)

    dlq = DeadLetterQueue(app)
    wait_for(lambda: len(dlq.entries()) == 1, 30, "the dead letter")
    [entry] = dlq.entries()
    assert entry.letter.reason == "retries-exhausted"
    assert entry.letter.task_id == result.id
    assert [a.retries for a in entry.letter.attempts] == [0, 1, 2]
    assert all(a.error.type == "FlakyError" for a in entry.letter.attempts)


def test_a_non_retryable_error_fails_at_once(app, start_worker):
    @app.task(autoretry_for=(FlakyError,), max_retries=5, default_retry_delay=0.1)
    def wrong() -> None:
        raise ValueError("not a retryable error")

    start_worker(app)
    result = wrong.delay()
    with pytest.raises(ValueError, match="not a retryable error"):
        result.get(timeout=30)
    assert result.retries == 0


def test_bound_task_retries_itself_and_sees_its_request(app, start_worker):
    seen: list[dict] = []

    @app.task(bind=True, max_retries=2)
    def careful(self: BoundTask, value: int) -> int:
        seen.append(
            {
                "id": self.request.id,
                "retries": self.request.retries,
                "headers": self.request.headers,
                "topic": self.request.delivery_info.topic,
            }
        )
        if self.request.retries < 1:
            self.retry(exc=FlakyError("not yet"), countdown=0.2)
        return value * 2

    start_worker(app)
    result = careful.apply_async((21,), headers={"tenant": "t1"})
    assert result.get(timeout=30) == 42
    assert [s["retries"] for s in seen] == [0, 1]
    assert {s["id"] for s in seen} == {result.id}
    assert seen[0]["headers"] == {"tenant": "t1"}
    assert seen[0]["topic"] == app.topology.names.tasks("default")
    assert careful.name.endswith("careful")


def test_retry_past_a_delay_bucket_waits_in_kafka(app, start_worker):
    runs: list[float] = []

    @app.task(bind=True, max_retries=1)
    def later(self: BoundTask) -> float:
        runs.append(time.time())
        if self.request.retries == 0:
            self.retry(countdown=2.5)
        return runs[-1] - runs[0]

    start_worker(app)
    waited = later.delay().get(timeout=60)
    assert 2.4 <= waited < 6.0


def test_countdown_and_eta_delay_the_start(app, start_worker):
    started: dict[str, float] = {}
    lock = threading.Lock()

    @app.task
    def mark(label: str) -> None:
        with lock:
            started[label] = time.time()

    start_worker(app)
    mark.delay("warm-up").get(timeout=30)
    sent = time.time()
    by_countdown = mark.apply_async(("countdown",), countdown=1.5)
    by_eta = mark.apply_async(("eta",), eta=dt.datetime.now(dt.UTC) + dt.timedelta(seconds=2))
    right_away = mark.apply_async(("now",))
    for result in (by_countdown, by_eta, right_away):
        result.get(timeout=60)
    assert started["now"] < started["countdown"]
    assert started["countdown"] - sent >= 1.45
    assert started["eta"] - sent >= 1.95


def test_delayed_tasks_sharing_a_partition_all_come_due(app, start_worker):
    # One key puts every request in one partition of the delay topic, so the scheduler meets
    # records that are not due yet behind a record it is already waiting for.
    ran: list[int] = []

    @app.task
    def later(n: int) -> int:
        ran.append(n)
        return n

    start_worker(app)
    later.delay(-1).get(timeout=30)
    results = [
        later.apply_async((n,), countdown=1.2 + n * 0.1, key="one-partition") for n in range(8)
    ]
    assert [result.get(timeout=60) for result in results] == list(range(8))
    assert sorted(ran) == [-1, *range(8)]


def test_a_task_that_comes_due_after_it_expires_is_revoked(app, start_worker):
    ran = []

    @app.task
    def too_late() -> None:
        ran.append(1)

    start_worker(app)
    result = too_late.apply_async(countdown=1.5, expires=0.5)
    with pytest.raises(Exception, match="expired at"):
        result.get(timeout=30)
    assert result.state == TaskState.REVOKED
    assert ran == []


def test_countdown_and_eta_together_are_refused(app):
    @app.task
    def anything() -> None:
        return None

    with pytest.raises(ValueError, match="countdown or eta, not both"):
        anything.apply_async(countdown=1, eta=time.time() + 1)
    with pytest.raises(ValueError, match="timezone-aware"):
        anything.apply_async(eta=dt.datetime.now())


def test_retry_options_are_validated_at_registration(settings):
    from kafkatask import TaskRegistrationError

    app = App("opts", settings=settings)
    with pytest.raises(TaskRegistrationError, match="autoretry_for must be a tuple"):
        app.task(autoretry_for=ValueError)(lambda: None)
    with pytest.raises(TaskRegistrationError, match="max_retries must be an integer"):
        app.task(max_retries=-1, name="x")(lambda: None)
    with pytest.raises(TaskRegistrationError, match=r"unknown task option\(s\) retries.*Retries"):
        app.task(retries=3, name="y")(lambda: None)


def test_a_retry_countdown_out_of_range_fails_the_task_clearly(app, start_worker):
    @app.task(bind=True)
    def forever(self: BoundTask) -> None:
        self.retry(countdown=float("inf"))

    start_worker(app)
    with pytest.raises(ValueError, match=r"retry\(countdown=inf\): give a number of seconds"):
        forever.delay().get(timeout=30)
    again = forever.apply_async().get(timeout=30, propagate=False)  # the worker goes on
    assert isinstance(again, ValueError)
