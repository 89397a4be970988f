"""examples/batched_slow_model runs as its README says (run.sh: a worker, the SSE server, the
dashboard, the load client), against the real broker: batching serves the slow model several
times faster, every caller gets its own answer, and the dashboard shows both tasks' runs."""

from __future__ import annotations

import json
import re

import httpx
import pytest

from examples.batched_slow_model.app import BATCH_SIZE, SECONDS_PER_CALL, SlowFakeChatModel
from tests.examples.running import run_example
from tests.helpers import wait_for

pytestmark = pytest.mark.integration

SCRIPT = "examples/batched_slow_model/run.sh"
REQUESTS = 16
LINE = re.compile(
    r"(?P<label>with.*?): (?P<n>\d+) requests in (?P<seconds>[\d.]+) s, (?P<rate>[\d.]+) req/s; "
    r"latency p50 (?P<p50>[\d.]+) s, p90 (?P<p90>[\d.]+) s, p99 (?P<p99>[\d.]+) s"
)


def _sse(response: httpx.Response) -> list[tuple[str, str]]:
    events, name = [], ""
    for line in response.text.splitlines():
        if line.startswith("event: "):
            name = line.removeprefix("event: ")
        elif line.startswith("data: "):
            events.append((name, line.removeprefix("data: ")))
    return events


def test_batching_serves_the_slow_model_faster(module_settings, example_logs):
    env = {"LOAD_REQUESTS": str(REQUESTS), "LOAD_CONCURRENCY": "8"}
    with run_example(
        SCRIPT, module_settings, example_logs, "SERVER_PORT", "DASHBOARD_PORT", env=env
    ) as run:
        run.wait_for_line("dashboard: ", 100)
        measured = {m["label"]: m for m in LINE.finditer(run.output())}
        off, on = measured["without batching"], measured["with batching (up to 4)"]
        assert int(off["n"]) == int(on["n"]) == REQUESTS

        # One call at a time: without batching every request pays a whole call, so 16 take at
        # least 16 calls; batching by four needs a quarter of them.
        assert float(off["seconds"]) >= REQUESTS * SECONDS_PER_CALL
        assert float(on["seconds"]) < float(off["seconds"]) / 2
        assert float(on["rate"]) > 2 * float(off["rate"])
        assert float(on["p50"]) < float(off["p50"])
        assert "speed-up: " in run.output()

        # The route itself: SSE events, and clear answers to bad input.
        server = f"http://127.0.0.1:{run.ports['SERVER_PORT']}"
        answered = httpx.get(f"{server}/generate", params={"context": "hello"}, timeout=30)
        assert answered.headers["content-type"].startswith("text/event-stream")
        events = _sse(answered)
        assert [name for name, _ in events] == ["metadata", "data", "end"]
        assert json.loads(events[1][1]) == SlowFakeChatModel.reply("hello")
        assert httpx.get(f"{server}/generate", timeout=5).status_code == 422
        wrong = httpx.get(f"{server}/generate", params={"context": "x", "batching": "y"}, timeout=5)
        assert wrong.status_code == 422
        assert "batching" in wrong.json()["message"]

        # The dashboard shows both tasks' runs, their run times, and the rate of the last minute.
        dashboard = f"http://127.0.0.1:{run.ports['DASHBOARD_PORT']}"
        sent = REQUESTS + BATCH_SIZE + 1  # the load, its warm-up, the request above

        def succeeded(name: str) -> list[dict]:
            params = {"name": name, "state": "SUCCESS", "limit": 1000}
            listed = httpx.get(f"{dashboard}/api/tasks", params=params, timeout=5).json()
            return listed["tasks"]

        wait_for(
            lambda: (
                len(succeeded("slow.generate")) == sent
                and len(succeeded("slow.generate_one")) == REQUESTS
            ),
            30,
            "the dashboard to show every task",
        )
        assert all(task["runtime"] >= SECONDS_PER_CALL for task in succeeded("slow.generate"))
        activity = httpx.get(f"{dashboard}/api/overview", timeout=5).json()["activity"]
        assert activity["succeeded_per_second"] > 0
        assert activity["latency"]["p50"] >= SECONDS_PER_CALL
