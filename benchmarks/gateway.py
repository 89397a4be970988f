"""Gateway benchmarks: HTTP next to the Python client, and many SSE streams through one gateway.

    .venv/bin/python -m benchmarks.gateway [--quick]

One worker process (`kafkatask worker -A benchmarks.gateway_app -c 200`) and one gateway
process (`kafkatask gateway -A benchmarks.gateway_app`), on the local broker.

1. invoke: the same no-op task, `bench.echo`, called in sequence through the Python client
   (`task.invoke(i)`) and through the gateway (`POST /bench.echo/invoke` on one keep-alive
   connection, with httpx and with a plain socket client, see `invoke`), in alternating
   blocks so all see the same machine, after untimed priming calls on every path (see
   benchmarks/measure.py on a new partition's first ~4 KB). p50 and p99 of each, and the
   overheads over the Python client: the differences.
2. streams: 200 concurrent `POST /bench.tokens/stream` of 200 chunks each through the one
   gateway process, each chunk 20 ms after the last (a fast model's 50 tokens a second, so
   10,000 chunks a second are offered): time to first chunk (from writing the request to its
   first `data` event) p50 and p99, chunks per second over all of them (first request to
   last byte), order violations (a chunk that is not the next index, or a stream that is not
   complete: must be 0), and the gateway's resident memory before and at its peak. The client
   is a plain HTTP/1.0 one on asyncio streams (see `_streams`).
Each phase also reports the share of the machine's CPU that other programs used meanwhile.
Results: Markdown on stdout and benchmarks/results/gateway.json (not written by --quick).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import socket
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from benchmarks.noise import machine_busy, process_cpu
from benchmarks.processes import background, pid_listening
from benchmarks.stats import Latency, percentile
from kafkatask.local_broker import LocalBroker

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
APP = "benchmarks.gateway_app"
PORT = 8890
"""The gateway's port, unless --port says otherwise."""
PRIME_CALLS = 300
"""Untimed calls on each path first, past each new partition's first 4 KB."""
PAUSE = 0.02
"""Seconds between two chunks of a stream: 50 a second, a fast model's pace."""


def _env(namespace: str) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "KAFKATASK_BOOTSTRAP_SERVERS": os.environ.get(
            "KAFKATASK_BOOTSTRAP_SERVERS", "127.0.0.1:9092"
        ),
        "KAFKATASK_NAMESPACE": namespace,
    }


@dataclass(frozen=True)
class Processes:
    """The pids of what a measurement runs on: for memory and CPU figures."""

    url: str
    """The gateway's."""
    gateway: int
    worker: int
    broker: int | None
    """None when the broker is not a local process (it is not counted then)."""


@contextlib.contextmanager
def processes(namespace: str, logs: Path, port: int) -> Iterator[Processes]:
    """A worker and a gateway of benchmarks.gateway_app, until the block ends."""
    kafkatask = [sys.executable, "-m", "kafkatask"]
    worker = [*kafkatask, "worker", "-A", APP, "-c", "200", "-l", "warning"]
    gateway = [*kafkatask, "gateway", "-A", APP, "--port", str(port), "-l", "warning"]
    env = _env(namespace)
    with (
        background(worker, env, logs / "gateway-worker.log") as working,
        background(gateway, env, logs / "gateway.log") as serving,
    ):
        url = f"http://127.0.0.1:{port}"
        _wait_for(url)
        broker = pid_listening(int(env["KAFKATASK_BOOTSTRAP_SERVERS"].rsplit(":", 1)[1]))
        yield Processes(url, serving.pid, working.pid, broker)


def _wait_for(url: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        time.sleep(0.1)
    raise TimeoutError(f"the gateway did not answer at {url} within {timeout:.0f}s")


def _client(namespace: str) -> Any:
    os.environ.update(_env(namespace))
    sys.modules.pop(APP, None)
    import benchmarks.gateway_app as client

    return client


def invoke(client: Any, gateway: str, calls: int, prime: int) -> dict[str, Any]:
    """`calls` invokes on each path, in alternating blocks of 100, after `prime` untimed.

    Two HTTP clients call the gateway: httpx (what langserve's RemoteRunnable uses), and a
    plain keep-alive client on a socket, which costs next to nothing itself, so that the
    difference between the two is httpx's own time and the plain one's overhead is the
    gateway's.
    """
    url = f"{gateway}/bench.echo/invoke"
    samples: dict[str, list[float]] = {"python": [], "httpx": [], "plain": []}
    with httpx.Client(timeout=30) as http, _PlainClient(url) as plain:

        def through_httpx(value: int) -> None:
            answer = http.post(url, json={"input": value})
            assert answer.json()["output"] == value, answer.text

        def through_plain(value: int) -> None:
            assert plain.post({"input": value})["output"] == value

        def through_python(value: int) -> None:
            assert client.echo.invoke(value) == value

        paths = {"python": through_python, "httpx": through_httpx, "plain": through_plain}
        for call in paths.values():
            for value in range(prime):
                call(value)
        for block in range(max(1, calls // 100)):
            for name in list(paths)[block % 3 :] + list(paths)[: block % 3]:
                for value in range(100):
                    began = time.perf_counter()
                    paths[name](value)
                    samples[name].append(time.perf_counter() - began)
    return _overheads({name: Latency.of(seconds) for name, seconds in samples.items()})


def _overheads(latencies: dict[str, Latency]) -> dict[str, Any]:
    python = latencies["python"]
    figures: dict[str, Any] = {"calls": python.count}
    figures |= {name: latency.as_dict() for name, latency in latencies.items()}
    for name in ("httpx", "plain"):
        figures[f"overhead_{name}_p50_ms"] = round(latencies[name].p50_ms - python.p50_ms, 2)
        figures[f"overhead_{name}_p99_ms"] = round(latencies[name].p99_ms - python.p99_ms, 2)
    return figures


class _PlainClient:
    """HTTP/1.1 POSTs of JSON on one kept-alive connection, answers read by Content-Length."""

    def __init__(self, url: str) -> None:
        target = urlsplit(url)
        self._address = (target.hostname or "127.0.0.1", target.port or 80)
        self._head = (
            f"POST {target.path} HTTP/1.1\r\nHost: {target.netloc}\r\n"
            "Content-Type: application/json\r\nContent-Length: "
        ).encode()

    def __enter__(self) -> _PlainClient:
        self._socket = socket.create_connection(self._address)
        self._socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._file = self._socket.makefile("rb")
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._file.close()
        self._socket.close()

    def post(self, body: Any) -> Any:
        data = json.dumps(body).encode()
        self._socket.sendall(self._head + str(len(data)).encode() + b"\r\n\r\n" + data)
        length = 0
        while (line := self._file.readline()) not in (b"\r\n", b""):
            name, _, value = line.partition(b":")
            if name.lower() == b"content-length":
                length = int(value)
        return json.loads(self._file.read(length))


def streams(ours: Processes, count: int, chunks: int) -> dict[str, Any]:
    """`count` concurrent streams of `chunks` chunks, with the gateway's memory sampled."""
    url = f"{ours.url}/bench.tokens/stream"
    asyncio.run(_streams(url, 2, chunks))  # untimed: the stream partition's first records
    memory = _Memory(ours.gateway)
    before = memory.now()
    with memory.sampling():
        began, cpu = time.perf_counter(), process_cpu(ours.gateway)
        results = asyncio.run(_streams(url, count, chunks))
        elapsed, cpu = time.perf_counter() - began, process_cpu(ours.gateway) - cpu
    first = sorted(first for first, _ in results)
    return {
        "streams": count,
        "chunks_per_stream": chunks,
        "first_chunk_p50_ms": round(1000 * percentile(first, 50), 1),
        "first_chunk_p99_ms": round(1000 * percentile(first, 99), 1),
        "chunks_per_s": round(count * chunks / elapsed),
        "seconds": round(elapsed, 2),
        "order_violations": sum(violations for _, violations in results),
        "gateway_cpu_per_chunk_us": round(1e6 * cpu / (count * chunks)),
        "gateway_busy": f"{cpu / elapsed:.0%} of a core",
        "gateway_rss_before_mib": round(before, 1),
        "gateway_rss_peak_mib": round(memory.peak, 1),
    }


async def _streams(url: str, count: int, chunks: int) -> list[tuple[float, int]]:
    """Open `count` connections, then send every request at once and read the streams.

    A plain HTTP/1.0 client on asyncio streams, not httpx: the gateway answers HTTP/1.0 with
    the bare event stream up to the end of the connection, and httpx's own parsing would cost
    the client more CPU than the gateway spends on each event, on the same two cores. The
    time to the first chunk is counted from when its request was written.
    """
    target = urlsplit(url)
    body = json.dumps({"input": {"count": chunks, "pause": PAUSE}}).encode()
    request = (
        f"POST {target.path} HTTP/1.0\r\nHost: {target.netloc}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode() + body
    host, port = target.hostname or "127.0.0.1", target.port or 80
    connections = [await asyncio.open_connection(host, port) for _ in range(count)]
    return await asyncio.gather(
        *(_one_stream(reader, writer, request, chunks) for reader, writer in connections)
    )


async def _one_stream(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes, chunks: int
) -> tuple[float, int]:
    """(seconds to the first chunk, order violations) of one stream."""
    writer.write(request)
    began = time.perf_counter()
    first = 0.0
    expected, violations = 0, 0
    head, _, pending = (await reader.readuntil(b"\r\n\r\n")).partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200"), head
    while data := await reader.read(65536):
        *events, pending = (pending + data).split(b"\n\n")
        for event in events:
            if not event.startswith(b"event: data\n"):
                continue
            if expected == 0:
                first = time.perf_counter() - began
            violations += json.loads(event.rsplit(b"\ndata: ", 1)[1]) != str(expected)
            expected += 1
    writer.close()
    return first, violations + (expected != chunks)


@contextlib.contextmanager
def others_share(ours: Processes, figures: dict[str, Any]) -> Iterator[None]:
    """Put in `figures` the share of the machine's CPU that other programs used meanwhile.

    The machine is shared: whatever is busy besides this benchmark, its gateway, its worker and
    the broker is someone else's (a test suite, say), and slows every figure down.
    """

    def busy_and_ours() -> tuple[float, float]:
        pids = [ours.gateway, ours.worker, *([ours.broker] if ours.broker else [])]
        own = resource.getrusage(resource.RUSAGE_SELF)
        return machine_busy(), own.ru_utime + own.ru_stime + sum(map(process_cpu, pids))

    began, (busy, own) = time.perf_counter(), busy_and_ours()
    yield
    elapsed, (busy_after, own_after) = time.perf_counter() - began, busy_and_ours()
    others = max(0.0, (busy_after - busy) - (own_after - own))
    figures["others_cpu_share"] = f"{others / (elapsed * (os.cpu_count() or 1)):.0%}"


class _Memory:
    """A process's resident memory (VmRSS), and its peak while sampled every 20 ms."""

    def __init__(self, pid: int) -> None:
        self._status = Path(f"/proc/{pid}/status")
        self.peak = 0.0
        self._stop = threading.Event()

    def now(self) -> float:
        for line in self._status.read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise LookupError("no VmRSS line")

    @contextlib.contextmanager
    def sampling(self) -> Iterator[None]:
        def sample() -> None:
            while not self._stop.wait(0.02):
                self.peak = max(self.peak, self.now())

        thread = threading.Thread(target=sample, daemon=True)
        thread.start()
        try:
            yield
        finally:
            self._stop.set()
            thread.join()
            self.peak = max(self.peak, self.now())


def run(quick: bool, logs: Path, port: int) -> dict[str, Any]:
    namespace = f"bench-gateway-{uuid.uuid4().hex[:6]}"
    client = _client(namespace)
    results: dict[str, Any] = {}
    with processes(namespace, logs, port) as ours:
        client.echo.invoke(0)  # topics exist, the worker has joined
        measurements: dict[str, Callable[[], dict[str, Any]]] = {
            "invoke": lambda: invoke(
                client, ours.url, *((200, 50) if quick else (2_000, PRIME_CALLS))
            ),
            "streams": lambda: streams(ours, 20 if quick else 200, 20 if quick else 200),
        }
        for name, measure in measurements.items():
            noise: dict[str, Any] = {}
            with others_share(ours, noise):
                results[name] = measure()
            results[name] |= noise
    client.app.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer calls, for a smoke run")
    parser.add_argument("--port", type=int, default=PORT, help="the gateway's port")
    options = parser.parse_args()
    broker = LocalBroker()
    started = "KAFKATASK_BOOTSTRAP_SERVERS" not in os.environ and broker.start()
    logs = RESULTS / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    try:
        results = run(options.quick, logs, options.port)
    finally:
        if started:
            broker.stop()
    if not options.quick:
        (RESULTS / "gateway.json").write_text(json.dumps(results, indent=2))
    for name, figures in results.items():
        print(f"\n### {name}\n\n| figure | value |\n|---|---|")
        for key, value in _flat(figures):
            print(f"| {key.replace('_', ' ')} | {value} |")


def _flat(figures: dict[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for key, value in figures.items():
        if isinstance(value, dict):
            yield from _flat(value, f"{prefix}{key} ")
        else:
            yield f"{prefix}{key}", value


if __name__ == "__main__":
    main()
