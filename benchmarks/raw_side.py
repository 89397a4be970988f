"""The floor: the same request/reply over Kafka with raw confluent-kafka, no kafkatask on the path.

An echo "worker" process consumes requests and produces each one back, unchanged, to the reply
partition its header names; the client produces a request and waits for its reply. Both build
their librdkafka configuration with kafkatask's own functions (kafkatask/kafka/config.py) from
the same `KAFKATASK_*` variables, so both sides of the comparison run the same client settings.
The topics have kafkatask's partition counts (8 for requests, 16 for replies).

`python -m benchmarks.raw_side` runs the echo worker until SIGTERM (or its time limit).
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

from confluent_kafka import Consumer, Message, Producer, TopicPartition
from confluent_kafka.admin import AdminClient
from confluent_kafka.cimpl import NewTopic

from benchmarks.stats import Latency, Throughput
from benchmarks.topics import wait_until_readable
from kafkatask.kafka.config import (
    common_config,
    consumer_config,
    producer_config,
    worker_consumer_config,
)
from kafkatask.settings import Settings

PAYLOAD = os.urandom(256)
"""About the size of a kafkatask request (282 bytes) and reply (174 bytes) for noop; random, so
lz4 cannot shrink it to nothing."""
REPLY_PARTITION = "reply-partition"
BATCH_WAIT_ENV = "BENCH_ECHO_BATCH_WAIT_MS"
"""When set (ms), the echo worker reads with `consume(500, timeout)`, which waits for a batch."""
READ_LIMIT = 500
CALL_TIMEOUT = 10.0
SETUP_TIMEOUT = 30.0
WORKER_LIFETIME = 900.0


@dataclass(frozen=True)
class EchoTopics:
    requests: str
    replies: str

    @classmethod
    def of(cls, namespace: str) -> EchoTopics:
        return cls(requests=f"{namespace}.requests", replies=f"{namespace}.replies")


# -- topics ------------------------------------------------------------------------------


def create_topics(settings: Settings, topics: EchoTopics) -> None:
    """Create both topics and wait until every partition answers."""
    config = common_config(settings, "bench-setup")
    shapes = {topics.requests: settings.task_partitions, topics.replies: settings.result_partitions}
    admin = AdminClient(config)  # kept referenced until the futures are done
    futures = admin.create_topics(
        [NewTopic(name, partitions, 1) for name, partitions in shapes.items()],
        request_timeout=SETUP_TIMEOUT,
    )
    for future in futures.values():
        future.result(timeout=SETUP_TIMEOUT)
    wait_until_readable(config, shapes)


# -- both sides ----------------------------------------------------------------------------


def take(consumer: Consumer, limit: int, timeout: float) -> list[Message]:
    """Up to `limit` records: waits up to `timeout` for the first, never for the rest."""
    first = consumer.poll(timeout)
    if first is None:
        return []
    return [first, *consumer.consume(limit - 1, timeout=0)]


def produce(
    producer: Producer,
    topic: str,
    value: bytes | None,
    key: bytes | None,
    *,
    partition: int | None = None,
    headers: list[tuple[str, bytes]] | None = None,
) -> None:
    """Queue one record, waiting for room in librdkafka's queue when it is full."""
    options: dict[str, Any] = {"key": key, "headers": headers}
    if partition is not None:
        options["partition"] = partition
    while True:
        try:
            producer.produce(topic, value, **options)
            return
        except BufferError:
            producer.poll(0.05)


# -- the echo worker -----------------------------------------------------------------------


def serve(settings: Settings, topics: EchoTopics, batch_wait_ms: float, lifetime: float) -> None:
    """Echo every request to its reply partition until SIGTERM or `lifetime` seconds."""
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda signum, frame: stopping.set())
    client_id = f"raw-echo-{os.getpid()}"
    group = f"{settings.namespace}.raw-echo"
    consumer = Consumer(worker_consumer_config(settings, client_id, group))
    producer = Producer(producer_config(settings, client_id))
    consumer.subscribe([topics.requests])
    deadline = time.monotonic() + lifetime
    try:
        while not stopping.is_set() and time.monotonic() < deadline:
            for record in _read(consumer, batch_wait_ms):
                _echo(producer, topics.replies, record)
            producer.poll(0)
    finally:
        producer.flush(5.0)
        consumer.close()


def _read(consumer: Consumer, batch_wait_ms: float) -> list[Message]:
    if batch_wait_ms > 0:
        return list(consumer.consume(READ_LIMIT, timeout=batch_wait_ms / 1000))
    return take(consumer, READ_LIMIT, timeout=0.05)


def _echo(producer: Producer, replies: str, record: Message) -> None:
    if record.error() is not None:
        return
    headers = dict(record.headers() or [])
    partition = int(headers[REPLY_PARTITION] or b"0")
    produce(producer, replies, record.value(), record.key(), partition=partition)


# -- the client ----------------------------------------------------------------------------


class EchoClient:
    """A producer for requests and a consumer of one reply partition, read from its end."""

    def __init__(self, settings: Settings, topics: EchoTopics) -> None:
        client_id = f"raw-client-{os.getpid()}"
        self.topics = topics
        self.producer = Producer(producer_config(settings, client_id))
        group = f"{settings.namespace}.raw-client.{uuid.uuid4().hex}"
        self.consumer = Consumer(consumer_config(settings, client_id, group))
        partition = random.randrange(settings.result_partitions)
        tp = TopicPartition(topics.replies, partition)
        _, end = self.consumer.get_watermark_offsets(tp, timeout=SETUP_TIMEOUT)
        self.consumer.assign([TopicPartition(topics.replies, partition, end)])
        self.headers = [(REPLY_PARTITION, str(partition).encode())]

    def send(self, key: bytes) -> None:
        produce(self.producer, self.topics.requests, PAYLOAD, key, headers=self.headers)
        self.producer.poll(0)

    def call(self, key: bytes, timeout: float) -> None:
        """Send one request and wait for its reply."""
        self.send(key)
        deadline = time.monotonic() + timeout
        while (remaining := deadline - time.monotonic()) > 0:
            record = self.consumer.poll(min(remaining, 0.1))
            if record is not None and record.error() is None and record.key() == key:
                return
        raise TimeoutError(f"no reply to request {key!r} within {timeout:.0f}s")

    def collect(self, count: int, timeout: float) -> float:
        """Wait for `count` replies; the perf_counter time the last one arrived."""
        deadline = time.monotonic() + timeout
        seen = 0
        while seen < count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{seen} of {count} replies within {timeout:.0f}s")
            seen += sum(1 for r in take(self.consumer, READ_LIMIT, 0.1) if r.error() is None)
        return time.perf_counter()

    def close(self) -> None:
        self.producer.flush(10.0)
        self.consumer.close()


def warm_up(client: EchoClient) -> float:
    """One call, which waits for the echo worker to join its group; its seconds."""
    began = time.perf_counter()
    client.call(b"warm-up", timeout=60.0)
    return time.perf_counter() - began


def prime(client: EchoClient, calls: int) -> None:
    """Untimed calls that take every new partition past its first ~4 KB (see measure.py)."""
    for i in range(calls):
        client.call(f"prime-{i}".encode(), timeout=CALL_TIMEOUT)


def latency(client: EchoClient, count: int) -> Latency:
    samples: list[float] = []
    for i in range(count):
        began = time.perf_counter()
        client.call(str(i).encode(), timeout=CALL_TIMEOUT)
        samples.append(time.perf_counter() - began)
    return Latency.of(samples)


def throughput(client: EchoClient, count: int, timeout: float) -> Throughput:
    """`count` requests sent at once while another thread reads the replies."""
    finished: list[float] = []
    reader = threading.Thread(
        target=lambda: finished.append(client.collect(count, timeout)), daemon=True
    )
    reader.start()
    began = time.perf_counter()
    for i in range(count):
        client.send(str(i).encode())
    sent = time.perf_counter()
    reader.join(timeout + 5.0)
    if not finished:
        raise TimeoutError(f"the replies to {count} requests did not all arrive in {timeout:.0f}s")
    return Throughput(count=count, send_s=sent - began, total_s=finished[0] - began)


def main() -> None:
    parser = argparse.ArgumentParser(description="The raw confluent-kafka echo worker.")
    parser.add_argument("--lifetime", type=float, default=WORKER_LIFETIME)
    args = parser.parse_args()
    settings = Settings()
    batch_wait_ms = float(os.environ.get(BATCH_WAIT_ENV, "0"))
    serve(settings, EchoTopics.of(settings.namespace), batch_wait_ms, args.lifetime)


if __name__ == "__main__":
    main()
