"""The dashboard benchmark: task-list render time with a full window, and memory under load.

    .venv/bin/python -m benchmarks.dashboard [--quick] [--output PATH]

Needs no broker: the dashboard's state is fed with real TaskEvent objects (the event reader
does exactly this with what it reads), and its Kafka-facing parts are the test stand-ins.
- render: 10,000 tasks in the window; the task list (`/tasks`, 100 rows, and filtered lists)
  requested 200 times each, through Starlette's TestClient and through a real uvicorn server
  over HTTP on loopback; p50 and p99 per URL.
- memory: 100,000 events (received, started, succeeded/failed of 33,334 tasks) streamed
  through a 10,000-task window: the window size, and the process's RSS before, after and at
  its peak.
Prints Markdown and writes the numbers to benchmarks/results/dashboard.json.
"""

from __future__ import annotations

import argparse
import json
import resource
import socket
import statistics
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from starlette.testclient import TestClient

from kafkatask import App
from kafkatask.dashboard import Credentials, Dashboard, create_app
from kafkatask.dashboard.state import DashboardState
from kafkatask.protocol import ErrorInfo, TaskEvent
from tests.dashboard.standins import InMemoryDeadLetters, StaticLag

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
WINDOW = 10_000
URLS = ["/tasks", "/tasks?state=FAILURE", "/tasks?name=bench.t3&page=5", "/tasks?search=000042"]


def events_of(number: int, ts: float) -> list[TaskEvent]:
    """The three events of one task run, as a worker sends them."""
    common = {
        "worker": f"bench@host:{number % 4}",
        "task_id": f"{number:08d}-4f1c-9d2a-{number:012d}",
        "task": f"bench.t{number % 7}",
        "queue": "default",
        "partition": number % 8,
        "offset": number,
        "retries": 0,
    }
    if number % 10 == 0:
        error = ErrorInfo(type="KeyError", message="'k'", traceback="Traceback ...\nKeyError\n")
        final = TaskEvent(type="task-failed", ts=ts + 0.01, runtime=0.01, error=error, **common)
    else:
        final = TaskEvent(type="task-succeeded", ts=ts + 0.01, runtime=0.01, result="42", **common)
    return [
        TaskEvent(type="task-received", ts=ts, args=f"{number}, 'payload'", **common),
        TaskEvent(type="task-started", ts=ts + 0.001, **common),
        final,
    ]


def feed(state: DashboardState, tasks: int, first: int = 0) -> None:
    now = time.time()
    for number in range(first, first + tasks):
        for event in events_of(number, now - 600 + number * 0.001):
            state.apply(event)


def _percentiles(times: list[float]) -> dict[str, float]:
    ordered = sorted(times)
    return {
        "p50_ms": 1000 * statistics.median(ordered),
        "p99_ms": 1000 * ordered[max(int(len(ordered) * 0.99) - 1, 0)],
        "max_ms": 1000 * ordered[-1],
    }


def _timed(get: Any, url: str, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        response = get(url)
        times.append(time.perf_counter() - began)
        assert response.status_code == 200, response.status_code
    return times


def _dashboard() -> Dashboard:
    app = App("bench", bootstrap_servers="127.0.0.1:1", namespace="bench")
    board = Dashboard(
        app,
        window=WINDOW,
        lag=StaticLag(),
        dead_letter_queue=InMemoryDeadLetters(),  # type: ignore[arg-type]
        credentials=Credentials(),
    )
    feed(board.state, WINDOW)
    return board


def render(repeat: int) -> dict[str, Any]:
    board = _dashboard()
    results: dict[str, Any] = {"window": board.state.bookkeeping().window, "repeat": repeat}
    with TestClient(create_app(board, background=False)) as client:
        for url in URLS:
            _timed(client.get, url, 5)  # warm up templates and caches
            results[f"testclient {url}"] = _percentiles(_timed(client.get, url, repeat))
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(board, background=False), port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        while not server.started:
            time.sleep(0.01)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as http:
            for url in URLS:
                _timed(http.get, url, 5)
                results[f"uvicorn {url}"] = _percentiles(_timed(http.get, url, repeat))
    finally:
        server.should_exit = True
        thread.join(10)
    return results


def memory(tasks: int) -> dict[str, Any]:
    state = DashboardState(WINDOW, heartbeat_interval=2.0)
    before = _rss_mib()
    feed(state, WINDOW, first=10_000_000)  # fill the window first
    full = _rss_mib()
    began = time.perf_counter()
    feed(state, tasks)
    seconds = time.perf_counter() - began
    books = state.bookkeeping()
    return {
        "events": 3 * tasks,
        "events_per_second": 3 * tasks / seconds,
        "window": books.window,
        "evicted": books.evicted,
        "rss_before_mib": before,
        "rss_window_full_mib": full,
        "rss_after_mib": _rss_mib(),
        "rss_peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def _rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def markdown(results: dict[str, Any]) -> str:
    render_results, mem = results["render"], results["memory"]
    lines = [
        f"Task list with {render_results['window']:,} tasks in the window "
        f"({render_results['repeat']} requests per row):",
        "",
        "| Through | URL | p50 | p99 | max |",
        "|---|---|---|---|---|",
    ]
    for key, value in render_results.items():
        if isinstance(value, dict):
            via, url = key.split(" ", 1)
            lines.append(
                f"| {via} | `{url}` | {value['p50_ms']:.1f} ms | {value['p99_ms']:.1f} ms "
                f"| {value['max_ms']:.1f} ms |"
            )
    lines += [
        "",
        f"Memory with {mem['events']:,} events streamed through a {WINDOW:,}-task window "
        f"({mem['events_per_second']:,.0f} events/s applied):",
        "",
        "| Window after | Evicted | RSS before | RSS window full | RSS after | RSS peak |",
        "|---|---|---|---|---|---|",
        f"| {mem['window']:,} | {mem['evicted']:,} | {mem['rss_before_mib']:.0f} MiB "
        f"| {mem['rss_window_full_mib']:.0f} MiB | {mem['rss_after_mib']:.0f} MiB "
        f"| {mem['rss_peak_mib']:.0f} MiB |",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20 requests per URL, not 200")
    parser.add_argument("--output", type=Path, default=RESULTS / "dashboard.json")
    options = parser.parse_args()
    results = {
        "memory": memory(33_334),
        "render": render(20 if options.quick else 200),
    }
    options.output.parent.mkdir(parents=True, exist_ok=True)
    options.output.write_text(json.dumps(results, indent=2) + "\n")
    print(markdown(results))


if __name__ == "__main__":
    main()
