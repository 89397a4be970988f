"""Consumer lag: how far a group's committed offsets are behind the ends of its partitions.

The one place kafkatask computes lag (worker metrics and the dashboard use it). It asks Kafka
through consumers, never through the AdminClient's group calls: librdkafka's admin requests to
a group coordinator (ListConsumerGroupOffsets, DescribeConsumerGroups) crash the whole process
when the broker restarts under them. ListConsumerGroupOffsets dereferences a NULL consumer group
when the coordinator answers NOT_COORDINATOR (SIGSEGV, librdkafka #5040); DescribeConsumerGroups
trips `rd_kafka_enq_once_del_source_return: Assertion 'eonce->refcnt > 0'` after a request timed
out (SIGABRT, librdkafka #4605). A consumer's `committed()` and `get_watermark_offsets()` go
through the consumer's own group and fetch code, which survives broker restarts
(tests/faults/test_broker_bounces.py bounces the broker under both readers).
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterable

from confluent_kafka import Consumer, KafkaException, TopicPartition

from kafkatask.kafka.config import Config

TP = tuple[str, int]


def lag(start: int, end: int, committed: int | None) -> int:
    """Records of a partition the group has not committed past.

    No commit yet: the group starts at the log start (kafkatask's consumers read from the
    earliest offset). Records below the log start are gone (retention) and are no lag.
    """
    position = start if committed is None else max(committed, start)
    return max(end - position, 0)


class OffsetReader:
    """Committed offsets of any consumer group and the start and end offsets of partitions.

    One consumer reads the watermarks, and one consumer per group (with that group's id, never
    subscribed, so never a member) reads its committed offsets. Calls are serialized: a reader
    is shared by a scrape thread or a collector thread. Every call has one deadline for all its
    partitions, so a broker that is away costs `timeout`, not `timeout` per partition. A consumer
    whose call failed is replaced by a new one at the next call: one that asked while the broker
    restarted can keep answering "unknown partition" from its stale metadata for minutes.

    Args:
        config: the librdkafka configuration of a consumer (bootstrap servers, security).
        timeout: the longest a call waits for the broker.
    """

    def __init__(self, config: Config, timeout: float) -> None:
        self._config = {**config, "enable.auto.commit": False}
        self._timeout = timeout
        self._lock = threading.Lock()
        self._groups: dict[str, Consumer] = {}
        self._watermarks: Consumer | None = None

    def committed(self, group: str, partitions: Iterable[TP]) -> dict[TP, int]:
        """The group's committed offset of each partition that has one."""
        wanted = [TopicPartition(t, p) for t, p in partitions]
        if not wanted:
            return {}
        with self._lock:
            try:
                answered = self._group(group).committed(wanted, timeout=self._timeout)
            except KafkaException:
                self._discard(self._groups.pop(group))
                raise
        for tp in answered:
            if tp.error is not None:
                raise KafkaException(tp.error)
        return {(tp.topic, tp.partition): tp.offset for tp in answered if tp.offset >= 0}

    def watermarks(self, partitions: Iterable[TP]) -> dict[TP, tuple[int, int]]:
        """(start, end) offsets of each partition; raises when the broker does not answer."""
        found: dict[TP, tuple[int, int]] = {}
        deadline = time.monotonic() + self._timeout
        with self._lock:
            consumer = self._watermark_consumer()
            try:
                for topic, partition in partitions:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        raise TimeoutError(f"no watermarks within {self._timeout:.0f}s")
                    start, end = consumer.get_watermark_offsets(
                        TopicPartition(topic, partition), timeout=left
                    )
                    found[(topic, partition)] = (start, end)
            except (KafkaException, TimeoutError):
                self._discard(consumer)
                self._watermarks = None
                raise
        return found

    def close(self) -> None:
        with self._lock:
            for consumer in [*self._groups.values(), self._watermarks]:
                if consumer is not None:
                    consumer.close()
            self._groups.clear()
            self._watermarks = None

    @staticmethod
    def _discard(consumer: Consumer) -> None:
        with contextlib.suppress(KafkaException, RuntimeError):
            consumer.close()

    def _group(self, group: str) -> Consumer:
        consumer = self._groups.get(group)
        if consumer is None:
            consumer = self._groups[group] = Consumer({**self._config, "group.id": group})
        return consumer

    def _watermark_consumer(self) -> Consumer:
        if self._watermarks is None:
            # A group id librdkafka requires; this consumer never joins or commits.
            self._watermarks = Consumer({**self._config, "group.id": "kafkatask.offsets"})
        return self._watermarks
