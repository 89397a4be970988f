"""Time limits, rate limits and the circuit breaker."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from kafkatask import (
    CircuitOpenError,
    SoftTimeLimitExceeded,
    TaskRegistrationError,
    TimeLimitExceeded,
)
from kafkatask.middleware import CircuitBreaker
from kafkatask.middleware.rate_limits import parse_rate
from tests.helpers import wait_for


def test_soft_time_limit_is_catchable_in_a_sync_task(app, start_worker):
    @app.task(soft_time_limit=0.3)
    def long_loop() -> str:
        try:
            while True:
                time.sleep(0.01)
        except SoftTimeLimitExceeded:
            return "cleaned up"

    start_worker(app)
    assert long_loop.delay().get(timeout=30) == "cleaned up"


async def test_soft_time_limit_is_catchable_in_an_async_task(app, start_worker):
    @app.task(soft_time_limit=0.3)
    async def long_wait() -> str:
        try:
            await asyncio.sleep(30)
        except SoftTimeLimitExceeded:
            return "cleaned up"
        return "slept"

    start_worker(app)
    assert await long_wait.delay().aget(timeout=30) == "cleaned up"


def test_uncaught_soft_limit_fails_the_task(app, start_worker):
    @app.task(soft_time_limit=0.2)
    def stubborn() -> None:
        while True:
            time.sleep(0.01)

    start_worker(app)
    with pytest.raises(SoftTimeLimitExceeded):
        stubborn.delay().get(timeout=30)


@pytest.mark.parametrize("kind", ["python-loop", "blocked-in-c", "async"])
def test_time_limit_ends_the_task_and_the_worker_stays_healthy(app, start_worker, kind):
    @app.task(time_limit=0.5, name="runaway")
    def runaway_sync(mode: str) -> None:
        if mode == "blocked-in-c":
            time.sleep(5)  # not interruptible: the task is abandoned, its thread finishes later
        while True:
            sum(range(1000))

    @app.task(time_limit=0.5, name="runaway-async")
    async def runaway_async() -> None:
        await asyncio.sleep(30)

    @app.task
    def healthy() -> str:
        return "fine"

    start_worker(app, concurrency=1)
    began = time.monotonic()
    result = runaway_async.delay() if kind == "async" else runaway_sync.delay(kind)
    with pytest.raises(TimeLimitExceeded, match=r"ran past its time_limit of 0\.5s"):
        result.get(timeout=30)
    assert time.monotonic() - began < 4
    # the slot was freed: with concurrency 1 the next task still runs
    assert healthy.delay().get(timeout=30) == "fine"


def test_time_limit_options_are_validated(app):
    with pytest.raises(TaskRegistrationError, match=r"soft_time_limit \(5s\) must be below"):
        app.task(soft_time_limit=5, time_limit=2, name="bad")(lambda: None)


def test_rate_limit_spaces_starts_without_holding_slots(app, start_worker):
    starts: list[float] = []
    lock = threading.Lock()

    @app.task(rate_limit="10/s")
    def limited(index: int) -> int:
        with lock:
            starts.append(time.monotonic())
        return index

    @app.task
    def unlimited() -> str:
        return "not waiting"

    start_worker(app, concurrency=4)
    limited.delay(-1).get(timeout=30)
    starts.clear()
    results = [limited.delay(i) for i in range(15)]
    # while the limited ones wait for their turn, another task is not held up
    began = time.monotonic()
    assert unlimited.delay().get(timeout=30) == "not waiting"
    assert time.monotonic() - began < 1.0
    assert [r.get(timeout=60) for r in results] == list(range(15))
    span = starts[-1] - starts[0]
    rate = (len(starts) - 1) / span
    assert 8.5 <= rate <= 10.5, f"achieved {rate:.2f}/s for a limit of 10/s"


def test_rate_parsing():
    assert parse_rate("50/s") == 50
    assert parse_rate("120/m") == 2
    assert parse_rate("3600/h") == 1
    with pytest.raises(ValueError, match="not like '50/s'"):
        parse_rate("fast")


def test_rate_limit_is_validated(app):
    with pytest.raises(TaskRegistrationError, match="'often' is not like '50/s'"):
        app.task(rate_limit="often", name="bad")(lambda: None)


def test_circuit_breaker_opens_fails_fast_and_half_opens(app, start_worker):
    calls: list[str] = []
    healthy = threading.Event()

    @app.task(circuit_breaker=2, circuit_breaker_cooldown=1.0)
    def backend(value: str) -> str:
        calls.append(value)
        if not healthy.is_set():
            raise ConnectionError("backend down")
        return value

    worker = start_worker(app, concurrency=1)
    for value in ("a", "b"):
        with pytest.raises(ConnectionError):
            backend.delay(value).get(timeout=30)
    breaker = worker.middleware.find(CircuitBreaker)
    assert breaker is not None
    assert breaker.state(backend.name) == "open"

    # open: fails fast without calling the back-end
    with pytest.raises(CircuitOpenError, match="circuit breaker is open"):
        backend.delay("c").get(timeout=30)
    assert calls == ["a", "b"]

    # after the cool-down one trial goes through; its success closes the breaker
    healthy.set()
    time.sleep(1.1)
    assert backend.delay("d").get(timeout=30) == "d"
    assert breaker.state(backend.name) == "closed"
    assert backend.delay("e").get(timeout=30) == "e"
    wait_for(lambda: calls == ["a", "b", "d", "e"], 5, "the calls")
