"""The configurations the core benchmark compares, each set through `KAFKATASK_*` variables.

librdkafka options reach both kafkatask and the raw baseline through the JSON dicts
`KAFKATASK_KAFKA` (every client), `KAFKATASK_PRODUCER` and `KAFKATASK_CONSUMER`, applied last
in kafkatask/kafka/config.py. A variant sets them for both sides (`both`) or for the worker only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

from benchmarks.raw_side import BATCH_WAIT_ENV

System = Literal["kafkatask", "raw"]
Env = dict[str, str]


@dataclass(frozen=True)
class Variant:
    name: str
    about: str
    both: Env = field(default_factory=dict)
    """Variables of the client and the worker."""
    worker: Env = field(default_factory=dict)
    """Variables of the worker only."""
    client: Env = field(default_factory=dict)
    """Variables of the client only."""
    systems: tuple[System, ...] = ("kafkatask", "raw")
    latency_calls: int | None = None
    """Fewer sequential calls than the run's count, for a variant that is slow by design."""
    processes: int = 1
    """Worker processes (`kafkatask worker -P N`), each with -c 8."""
    primed: bool = True
    """Untimed calls before measuring, past the broker's first-4-KB stall (see measure.py)."""

    def as_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "about": self.about,
            "client_env": self.client_env,
            "worker_env": self.worker_env,
            "systems": list(self.systems),
            "primed": self.primed,
            "processes": self.processes,
            "latency_calls": self.latency_calls,
        }

    @classmethod
    def described(cls, entry: dict[str, Any]) -> Variant:
        """A variant as recorded in a results file: enough to show it again."""
        return cls(entry["name"], entry["about"], latency_calls=entry.get("latency_calls"))

    @property
    def client_env(self) -> Env:
        return {**self.both, **self.client}

    @property
    def worker_env(self) -> Env:
        return {**self.both, **self.worker}


def librdkafka(client: Literal["kafka", "producer", "consumer"], **options: object) -> Env:
    """`KAFKATASK_PRODUCER='{"linger.ms": 0}'` from `librdkafka("producer", linger_ms=0)`."""
    spelled = {name.replace("_", "."): value for name, value in options.items()}
    return {f"KAFKATASK_{client.upper()}": json.dumps(spelled)}


VARIANTS: list[Variant] = [
    Variant("default", "kafkatask's settings: linger.ms 1, fetch.wait.max.ms 100, events on"),
    Variant(
        "default, not primed",
        "measured right after the warm-up call, on partitions still in their first ~4 KB",
        primed=False,
    ),
    Variant("linger.ms=0", "client and worker producers", both=librdkafka("producer", linger_ms=0)),
    Variant("linger.ms=5", "librdkafka's default linger", both=librdkafka("producer", linger_ms=5)),
    Variant(
        "client linger.ms=0",
        "the client's producer only (requests)",
        client=librdkafka("producer", linger_ms=0),
        systems=("kafkatask",),
    ),
    Variant(
        "worker linger.ms=0",
        "the worker's producer only (replies, events)",
        worker=librdkafka("producer", linger_ms=0),
        systems=("kafkatask",),
    ),
    Variant(
        "worker -P 2",
        "two worker processes under one supervisor, -c 8 each",
        systems=("kafkatask",),
        processes=2,
    ),
    Variant(
        "worker fetch.wait.max.ms=10",
        "the worker's consumer",
        worker=librdkafka("consumer", fetch_wait_max_ms=10),
    ),
    Variant(
        "worker fetch.wait.max.ms=500",
        "the worker's consumer, librdkafka's default",
        worker=librdkafka("consumer", fetch_wait_max_ms=500),
    ),
    Variant(
        "events off",
        "KAFKATASK_EVENTS=false: no task events from the worker",
        worker={"KAFKATASK_EVENTS": "false"},
        systems=("kafkatask",),
    ),
    Variant(
        "linger.ms=0, events off",
        "both of the above",
        both=librdkafka("producer", linger_ms=0),
        worker={"KAFKATASK_EVENTS": "false"},
        systems=("kafkatask",),
    ),
    Variant(
        "idempotency_window=0",
        "KAFKATASK_IDEMPOTENCY_WINDOW=0: the worker keeps no replies for duplicate sends",
        worker={"KAFKATASK_IDEMPOTENCY_WINDOW": "0"},
        systems=("kafkatask",),
    ),
    Variant(
        "socket.nagle.disable=false",
        "Nagle's algorithm on (librdkafka's default), every client",
        both=librdkafka("kafka", socket_nagle_disable=False),
    ),
    Variant(
        "worker fetch.queue.backoff.ms=1000",
        "the worker's consumer, librdkafka's default",
        worker=librdkafka("consumer", fetch_queue_backoff_ms=1000),
    ),
    Variant(
        "compression.type=none",
        "no lz4 on either producer",
        both=librdkafka("producer", compression_type="none"),
    ),
    Variant(
        "echo reads with consume(500, 50 ms)",
        "raw echo worker waits for a batch instead of poll + consume(n, 0)",
        worker={BATCH_WAIT_ENV: "50"},
        systems=("raw",),
        latency_calls=200,
    ),
]


def named(names: list[str]) -> list[Variant]:
    """The variants called `names` (all of them when empty), in the order of VARIANTS."""
    unknown = set(names) - {variant.name for variant in VARIANTS}
    if unknown:
        known = ", ".join(repr(variant.name) for variant in VARIANTS)
        raise SystemExit(f"unknown variant(s) {sorted(unknown)}; known: {known}")
    return [variant for variant in VARIANTS if not names or variant.name in names]
