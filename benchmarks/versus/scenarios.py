"""The scenarios, each written once against the client interface (benchmarks/versus/client.py).

Every scenario starts from a fresh broker side (`prepare`: new topics, or an empty Redis) and
fresh workers. Where a worker runs, the scenario first makes one warm-up call (which waits for
the worker; with several workers, until all take tasks), reads the worker's idle resident
memory, and makes `prime` untimed calls (see benchmarks/measure.py on a new partition's first
~4 KB; Celery gets the same calls). Only then does the measured part begin, with the CPU meter
of benchmarks/versus/usage.py around it. Every result a scenario receives is checked.

1. enqueue: no-op tasks sent with no worker running, until the broker holds all of them.
2. drain: no-op tasks already waiting when a fresh worker starts; until every result is in.
3. throughput: no-op tasks sent at once to a running worker, every result awaited.
4. round_trip: `delay(i).get()` one after the other.
5. callers: threads that each call a 10 ms sleeping task over and over, all at once.
6. llm_1, llm_3: tasks of log-normal durations (benchmarks/versus/schedule.py) sent at once to
   one or three workers of 32 slots, compared with a perfect FIFO schedule of the same tasks.
7. payload: echo tasks of several payload sizes: sequential round trips, then many at once.
"""

from __future__ import annotations

import contextlib
import os
import random
import statistics
import string
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.processes import background
from benchmarks.stats import percentile
from benchmarks.versus import schedule
from benchmarks.versus.client import TaskClient
from benchmarks.versus.sizes import CALLER_SLEEP_S, CONCURRENCY, LLM_CONCURRENCY, Sizes
from benchmarks.versus.usage import Meter, memory_mib

WARM_UP_TIMEOUT = 60.0
WORKERS_TIMEOUT = 60.0
CALL_TIMEOUT = 30.0
WAIT_TIMEOUT = 300.0
"""Seconds for all the results of one burst of tasks."""

Figures = dict[str, Any]


class Tally:
    """Checks results and counts them (callers check from many threads)."""

    def __init__(self) -> None:
        self.checked = 0
        self._lock = threading.Lock()

    def check(self, value: Any, expected: Any) -> None:
        """`value` must equal `expected`, or be an instance of it when it is a type."""
        fits = isinstance(value, expected) if isinstance(expected, type) else value == expected
        if not fits:
            shown, wanted = str(value)[:80], str(expected)[:80]
            raise AssertionError(f"a task returned {shown!r}, not {wanted!r}")
        with self._lock:
            self.checked += 1


@dataclass(frozen=True)
class Run:
    """One scenario for one system: its client, sizes, broker process and log folder."""

    client: TaskClient
    sizes: Sizes
    broker: int | None
    logs: Path
    tally: Tally = field(default_factory=Tally)

    @contextlib.contextmanager
    def workers(
        self, count: int = 1, concurrency: int = CONCURRENCY, label: str = "worker"
    ) -> Iterator[list[int]]:
        """`count` fresh worker processes for the block; their pids."""
        with contextlib.ExitStack() as stack:
            pids = []
            for index in range(count):
                command = self.client.worker_command(concurrency, index)
                log = self.logs / f"{self.client.name}-{label}-{index}.log"
                pids.append(stack.enter_context(background(command, dict(os.environ), log)).pid)
            yield pids

    def ready(self, pids: Sequence[int]) -> Figures:
        """Warm up (waiting for every worker), read the idle memory, then the priming calls."""
        began = time.perf_counter()
        self.client.warm_up(WARM_UP_TIMEOUT)
        if len(pids) > 1:
            self.client.wait_for_workers(len(pids), WORKERS_TIMEOUT)
        warm_up = time.perf_counter() - began
        idle = max(memory_mib(pid, "VmRSS") for pid in pids)
        for value in range(self.sizes.prime):
            self.call("noop", value, expected=value)
        return {"warm_up_s": round(warm_up, 3), "worker_idle_rss_mib": round(idle, 1)}

    def meter(self) -> Meter:
        return Meter(self.broker)

    def call(self, task: str, *args: Any, expected: Any) -> Any:
        value = self.client.result(self.client.send(task, *args), CALL_TIMEOUT)
        self.tally.check(value, expected)
        return value

    def wait_all(self, handles: Sequence[Any], expected: Sequence[Any]) -> list[Any]:
        """Every handle's result, in order, each checked against `expected`."""
        deadline = time.monotonic() + WAIT_TIMEOUT
        values = []
        for handle, wanted in zip(handles, expected, strict=True):
            value = self.client.result(handle, max(0.1, deadline - time.monotonic()))
            self.tally.check(value, wanted)
            values.append(value)
        return values


def latency(seconds: Sequence[float]) -> Figures:
    ordered = sorted(seconds)
    figures = {f"p{p}_ms": percentile(ordered, p) for p in (50, 90, 99)}
    figures |= {"max_ms": ordered[-1], "mean_ms": statistics.fmean(ordered)}
    return {"calls": len(ordered)} | {k: round(v * 1000, 3) for k, v in figures.items()}


def enqueue(run: Run) -> Figures:
    """Sending alone: the broker's side of `delay()`, with no worker competing for the CPU."""
    count = run.sizes.enqueue
    run.client.prepare()
    for value in range(run.sizes.prime):  # connections, metadata, the send path's first calls
        run.client.send("noop", value)
    meter = run.meter()
    meter.start([])
    began = time.perf_counter()
    for value in range(count):
        run.client.send("noop", value)
    returned = time.perf_counter() - began
    run.client.finish_sending()
    sent = time.perf_counter() - began
    return {
        "count": count,
        "returned_s": round(returned, 3),
        "sent_s": round(sent, 3),
        "per_second": round(count / sent, 1),
        "usage": meter.stop([], count),
    }


def drain(run: Run) -> Figures:
    """A backlog: a first worker warms up and primes, stops; then tasks wait for a fresh one."""
    count = run.sizes.drain
    run.client.prepare()
    with run.workers(label="primer") as pids:
        figures = run.ready(pids)
    handles = [run.client.send("noop", value) for value in range(count)]
    meter = run.meter()
    meter.start([])
    began = time.perf_counter()
    with run.workers(label="drainer") as pids:
        run.wait_all(handles[:1], [0])
        first = time.perf_counter() - began
        run.wait_all(handles[1:], range(1, count))
        total = time.perf_counter() - began
        usage = meter.stop(pids, count)
    return figures | {
        "count": count,
        "first_result_s": round(first, 3),
        "total_s": round(total, 3),
        "per_second": round(count / total, 1),
        "after_first_per_second": round((count - 1) / (total - first), 1),
        "usage": usage,
    }


def throughput(run: Run) -> Figures:
    count = run.sizes.throughput
    run.client.prepare()
    with run.workers() as pids:
        figures = run.ready(pids)
        meter = run.meter()
        meter.start(pids)
        began = time.perf_counter()
        handles = [run.client.send("noop", value) for value in range(count)]
        sent = time.perf_counter() - began
        run.wait_all(handles, range(count))
        total = time.perf_counter() - began
        usage = meter.stop(pids, count)
    return figures | {
        "count": count,
        "send_s": round(sent, 3),
        "total_s": round(total, 3),
        "per_second": round(count / total, 1),
        "usage": usage,
    }


def round_trip(run: Run) -> Figures:
    count = run.sizes.round_trip
    run.client.prepare()
    with run.workers() as pids:
        figures = run.ready(pids)
        meter = run.meter()
        meter.start(pids)
        samples = []
        for value in range(count):
            began = time.perf_counter()
            run.call("noop", value, expected=value)
            samples.append(time.perf_counter() - began)
        usage = meter.stop(pids, count)
    return figures | latency(samples) | {"usage": usage}


def callers(run: Run) -> Figures:
    """`callers` threads, each calling the 10 ms task `calls_per_caller` times in sequence."""
    threads, calls = run.sizes.callers, run.sizes.calls_per_caller
    run.client.prepare()
    with run.workers() as pids:
        figures = run.ready(pids)
        meter = run.meter()
        samples, total = _concurrently(
            threads,
            warm_up=lambda: _caller(run, 1),
            release=lambda: meter.start(pids),
            work=lambda: _caller(run, calls),
        )
        usage = meter.stop(pids, threads * calls)
    return (
        figures
        | latency(samples)
        | {
            "callers": threads,
            "total_s": round(total, 3),
            "per_second": round(len(samples) / total, 1),
            "usage": usage,
        }
    )


def _caller(run: Run, calls: int) -> list[float]:
    samples = []
    for _ in range(calls):
        began = time.perf_counter()
        run.call("sleeper", CALLER_SLEEP_S, expected=float)  # its start time
        samples.append(time.perf_counter() - began)
    return samples


def _concurrently(
    threads: int,
    warm_up: Callable[[], object],
    release: Callable[[], None],
    work: Callable[[], list[float]],
) -> tuple[list[float], float]:
    """`work` on `threads` threads at once; all their samples, and the seconds they took.

    Each thread first makes its untimed `warm_up` (a thread's first call opens what a client
    keeps per thread); when all have, `release` runs and the clock starts.
    """
    began: list[float] = []

    def on_release() -> None:
        release()
        began.append(time.perf_counter())

    gate = threading.Barrier(threads, action=on_release, timeout=WAIT_TIMEOUT)
    samples: list[float] = []
    failures: list[BaseException] = []

    def body() -> None:
        try:
            warm_up()
            gate.wait()
            samples.extend(work())
        except BaseException as error:  # reported below, on the scenario's thread
            failures.append(error)
            gate.abort()

    running = [threading.Thread(target=body, daemon=True) for _ in range(threads)]
    for thread in running:
        thread.start()
    for thread in running:
        thread.join(WAIT_TIMEOUT)
    total = time.perf_counter() - began[0] if began else 0.0
    unfinished = sum(thread.is_alive() for thread in running)
    if failures or unfinished:
        raise AssertionError(
            f"{len(failures)} callers failed, {unfinished} did not finish: {failures[:1]!r}"
        )
    return samples, total


def llm(run: Run, workers: int) -> Figures:
    """Log-normal sleeping tasks sent at once; their start times against a FIFO schedule."""
    durations = schedule.durations(run.sizes.llm_tasks)
    run.client.prepare()
    with run.workers(workers, LLM_CONCURRENCY) as pids:
        figures = run.ready(pids)
        meter = run.meter()
        meter.start(pids)
        began = time.time()
        handles = [run.client.send("sleeper", seconds) for seconds in durations]
        starts = [start - began for start in run.wait_all(handles, [float] * len(handles))]
        wall = time.time() - began
        usage = meter.stop(pids, len(durations))
    slots = workers * LLM_CONCURRENCY
    timing = schedule.Schedule.of(durations, slots, starts, wall)
    return (
        figures
        | timing.as_dict()
        | {
            "count": len(durations),
            "workers": workers,
            "slots": slots,
            "usage": usage,
        }
    )


def payload(run: Run) -> Figures:
    """Echo tasks per payload size: sequential round trips, then many at once."""
    sizes = run.sizes
    run.client.prepare()
    with run.workers() as pids:
        figures = run.ready(pids)
        results = []
        for size, calls, tasks in zip(
            sizes.payload_bytes, sizes.payload_calls, sizes.payload_tasks, strict=True
        ):
            results.append({"bytes": size} | _payload_size(run, pids, size, calls, tasks))
    return figures | {"sizes": results}


def _payload_size(run: Run, pids: list[int], size: int, calls: int, tasks: int) -> Figures:
    text = random_text(size)
    samples = []
    for _ in range(calls):
        began = time.perf_counter()
        run.call("echo", text, expected=text)
        samples.append(time.perf_counter() - began)
    meter = run.meter()
    meter.start(pids)
    began = time.perf_counter()
    handles = [run.client.send("echo", text) for _ in range(tasks)]
    run.wait_all(handles, [text] * tasks)
    total = time.perf_counter() - began
    return {
        "round_trip": latency(samples),
        "count": tasks,
        "total_s": round(total, 3),
        "per_second": round(tasks / total, 1),
        "usage": meter.stop(pids, tasks),
    }


def random_text(size: int) -> str:
    """`size` random letters and digits: one byte each in UTF-8, and next to incompressible."""
    return "".join(random.Random(size).choices(string.ascii_letters + string.digits, k=size))


SCENARIOS: dict[str, Callable[[Run], Figures]] = {
    "enqueue": enqueue,
    "drain": drain,
    "throughput": throughput,
    "round_trip": round_trip,
    "callers": callers,
    "llm_1": lambda run: llm(run, 1),
    "llm_3": lambda run: llm(run, 3),
    "payload": payload,
}
