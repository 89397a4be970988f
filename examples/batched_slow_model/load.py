"""Throughput and latency of `GET /generate`, with and without batching.

`python -m examples.batched_slow_model.load [URL] [--requests N] [--concurrency C]` against the
server (run.sh starts it): N requests, C at a time, first to the task that does not batch, then
to the one that does. Latency is from sending the request to the SSE `end` event.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from dataclasses import dataclass

import httpx

from examples.batched_slow_model.app import BATCH_SIZE


@dataclass(frozen=True)
class Measured:
    requests: int
    seconds: float
    latencies: list[float]

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds

    def quantile(self, q: int) -> float:
        """The q-th percentile of the latencies."""
        return statistics.quantiles(self.latencies, n=100, method="inclusive")[q - 1]

    def line(self, label: str) -> str:
        p50, p90, p99 = (self.quantile(q) for q in (50, 90, 99))
        return (
            f"{label}: {self.requests} requests in {self.seconds:.2f} s, "
            f"{self.throughput:.1f} req/s; latency p50 {p50:.2f} s, p90 {p90:.2f} s, "
            f"p99 {p99:.2f} s"
        )


async def _one(client: httpx.AsyncClient, context: str, batching: str) -> tuple[float, str]:
    """One request: its latency and the text it streamed; raises on an `error` event."""
    began = time.perf_counter()
    text, event = None, ""
    params = {"context": context, "batching": batching}
    async with client.stream("GET", "/generate", params=params) as response:
        response.raise_for_status()
        async for line in response.aiter_lines():
            if line.startswith("event: "):
                event = line.removeprefix("event: ")
            elif line.startswith("data: ") and event == "data":
                text = json.loads(line.removeprefix("data: "))
            elif line.startswith("data: ") and event == "error":
                raise RuntimeError(f"{context!r}: {json.loads(line[6:])['message']}")
            elif event == "end":
                break
    if text is None:
        raise RuntimeError(f"{context!r}: the stream ended without a result")
    return time.perf_counter() - began, text


async def measure(url: str, batching: str, requests: int, concurrency: int) -> Measured:
    slots = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(base_url=url, timeout=120) as client:

        async def limited(i: int) -> tuple[float, str]:
            async with slots:
                return await _one(client, f"request {i}", batching)

        began = time.perf_counter()
        done = await asyncio.gather(*(limited(i) for i in range(requests)))
        seconds = time.perf_counter() - began
    for i, (_, text) in enumerate(done):
        if f"request {i}" not in text:  # each caller must get its own answer, not another's
            raise RuntimeError(f"request {i} was answered {text!r}")
    return Measured(requests, seconds, [latency for latency, _ in done])


async def main(url: str, requests: int, concurrency: int) -> None:
    print(f"{requests} requests, {concurrency} at a time, to {url}/generate")
    await measure(url, "on", BATCH_SIZE, BATCH_SIZE)  # warm up: connections, topics
    off = await measure(url, "off", requests, concurrency)
    print(off.line("without batching"))
    on = await measure(url, "on", requests, concurrency)
    print(on.line("with batching (up to 4)"))
    print(
        f"speed-up: {on.throughput / off.throughput:.1f}x the throughput, "
        f"p50 latency {off.quantile(50) / on.quantile(50):.1f}x lower"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", nargs="?", default="http://127.0.0.1:8000")
    parser.add_argument("--requests", type=int, default=16)
    parser.add_argument("--concurrency", type=int, default=8)
    options = parser.parse_args()
    if options.requests < 2 or options.concurrency < 1:
        parser.error("--requests must be at least 2 and --concurrency at least 1")
    asyncio.run(main(options.url, options.requests, options.concurrency))
